package io.demlearn.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.SampleRecords;
import io.demlearn.schemas.avro.ModelKind;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.ParameterVector;
import io.demlearn.schemas.avro.RoundMetrics;
import io.demlearn.schemas.registry.InMemorySchemaRegistry;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
  private final String scope = "serde-test-" + UUID.randomUUID();
  private final Map<String, Object> config = Map.of(SchemaRegistryConfig.URL, "mock://" + scope);
  private final AvroSerdes serdes = new AvroSerdes(config);

  @AfterEach
  void dropScope() {
    InMemorySchemaRegistry.dropScope(scope);
  }

  @SuppressWarnings("unchecked")
  private static <T extends SpecificRecord> T roundTrip(AvroSerdes serdes, String topic, T record) {
    AvroSerde<T> serde = serdes.valueSerde((Class<T>) record.getClass());
    byte[] bytes = serde.serializer().serialize(topic, record);
    return serde.deserializer().deserialize(topic, bytes);
  }

  @Test
  void everySchemaRoundTripsThroughTheMockRegistry() {
    for (SpecificRecord record : SampleRecords.all("exp-1")) {
      String topic = "demlearn.exp-1." + record.getClass().getSimpleName();
      assertThat(roundTrip(serdes, topic, record))
          .as(record.getClass().getSimpleName())
          .isEqualTo(record);
    }
    assertThat(serdes.registry().subjects()).hasSize(7).allMatch(s -> s.endsWith("-value"));
  }

  @Test
  void payloadStartsWithMagicByteThenTheRegisteredId() {
    ModelUpdate update =
        SampleRecords.modelUpdate("exp-1", "agent-001", 0, SampleRecords.randomFloats(7850, 3));
    AvroSerde<ModelUpdate> serde = serdes.valueSerde(ModelUpdate.class);
    // another subject first, so that the update's id is not 1 by accident
    serdes
        .valueSerde(RoundMetrics.class)
        .serializer()
        .serialize("other", SampleRecords.roundMetrics("exp-1"));
    byte[] bytes = serde.serializer().serialize("updates", update);

    int registered = serdes.registry().lookup("updates-value", ModelUpdate.getClassSchema());
    assertThat(registered).isEqualTo(2);
    assertThat(bytes[0]).isEqualTo((byte) 0);
    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(registered);
    assertThat(WireFormat.schemaId(bytes, "updates")).isEqualTo(registered);
    // 7850 float32 values dominate the payload
    assertThat(bytes.length).isBetween(7850 * 4, 7850 * 4 + 200);
  }

  @Test
  void serializerAndDeserializerConfiguredSeparatelyShareTheScope() {
    Serializer<ModelUpdate> serializer = new AvroSerializer<>(ModelUpdate.class);
    serializer.configure(config, false);
    Deserializer<ModelUpdate> deserializer = new AvroDeserializer<>(ModelUpdate.class);
    deserializer.configure(config, false);
    ModelUpdate update =
        SampleRecords.modelUpdate("exp-1", "agent-001", 0, SampleRecords.randomFloats(10, 3));
    assertThat(deserializer.deserialize("t", serializer.serialize("t", update))).isEqualTo(update);
  }

  @Test
  void nullStaysNull() {
    AvroSerde<ModelUpdate> serde = serdes.valueSerde(ModelUpdate.class);
    assertThat(serde.serializer().serialize("t", null)).isNull();
    assertThat(serde.deserializer().deserialize("t", null)).isNull();
  }

  @Test
  void withoutAutoRegisterAnUnregisteredSchemaFails() {
    AvroSerializer<ModelUpdate> serializer = new AvroSerializer<>(ModelUpdate.class);
    serializer.configure(
        Map.of(SchemaRegistryConfig.URL, "mock://" + scope, AvroSerializer.AUTO_REGISTER, "false"),
        false);
    ModelUpdate update = SampleRecords.modelUpdate("exp-1", "agent-001", 0, new float[] {1f});
    assertThatThrownBy(() -> serializer.serialize("t", update)).hasMessageContaining("t-value");
  }

  @Test
  void aPayloadWithoutTheMagicByteIsRefusedByName() {
    AvroDeserializer<ModelUpdate> deserializer =
        serdes.valueSerde(ModelUpdate.class).deserializer();
    byte[] json = "{\"agentId\":\"a\"}".getBytes();
    assertThatThrownBy(() -> deserializer.deserialize("updates", json))
        .isInstanceOfSatisfying(
            PayloadException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(PayloadException.Reason.NOT_WIRE_FORMAT);
              assertThat(e.topic()).isEqualTo("updates");
            })
        .hasMessageContaining("0x7b")
        .hasMessageContaining("magic byte");
  }

  @Test
  void anUnknownSchemaIdIsRefusedByName() {
    AvroDeserializer<ModelUpdate> deserializer =
        serdes.valueSerde(ModelUpdate.class).deserializer();
    byte[] payload = {0, 0, 0, 0x30, 0x39, 2, 4};
    assertThatThrownBy(() -> deserializer.deserialize("updates", payload))
        .isInstanceOfSatisfying(
            PayloadException.class,
            e -> assertThat(e.reason()).isEqualTo(PayloadException.Reason.UNKNOWN_SCHEMA_ID))
        .hasMessageContaining("schema id 12345");
  }

  @Test
  void everyTruncationIsRefusedWithItsLocation() {
    AvroSerde<ModelUpdate> serde = serdes.valueSerde(ModelUpdate.class);
    byte[] whole =
        serde
            .serializer()
            .serialize(
                "updates",
                SampleRecords.modelUpdate(
                    "exp-1", "agent-001", 0, SampleRecords.randomFloats(50, 3)));
    for (int length = 0; length < whole.length; length++) {
      byte[] cut = Arrays.copyOf(whole, length);
      ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>("updates", 3, 99L, null, cut);
      int len = length;
      assertThatThrownBy(() -> serde.deserializer().deserialize(raw))
          .as("payload cut to %d of %d bytes", length, whole.length)
          .isInstanceOfSatisfying(
              PayloadException.class,
              e -> {
                assertThat(e.reason())
                    .as("cut to %d", len)
                    .isIn(
                        PayloadException.Reason.TRUNCATED,
                        PayloadException.Reason.UNDECODABLE,
                        PayloadException.Reason.VECTOR_MISMATCH);
                assertThat(e.partition()).isEqualTo(3);
                assertThat(e.offset()).isEqualTo(99L);
              })
          .hasMessageContaining("partition 3, offset 99");
    }
  }

  @Test
  void trailingBytesAreRefused() {
    AvroSerde<RoundMetrics> serde = serdes.valueSerde(RoundMetrics.class);
    byte[] whole = serde.serializer().serialize("m", SampleRecords.roundMetrics("exp-1"));
    byte[] longer = Arrays.copyOf(whole, whole.length + 3);
    assertThatThrownBy(() -> serde.deserializer().deserialize("m", longer))
        .isInstanceOfSatisfying(
            PayloadException.class,
            e -> assertThat(e.reason()).isEqualTo(PayloadException.Reason.UNDECODABLE))
        .hasMessageContaining("left over");
  }

  @Test
  void aRecordOfAnotherTypeIsRefused() {
    byte[] metrics =
        serdes
            .valueSerde(RoundMetrics.class)
            .serializer()
            .serialize("m", SampleRecords.roundMetrics("e"));
    assertThatThrownBy(
            () -> serdes.valueSerde(ModelUpdate.class).deserializer().deserialize("m", metrics))
        .isInstanceOfSatisfying(
            PayloadException.class,
            e -> assertThat(e.reason()).isEqualTo(PayloadException.Reason.UNDECODABLE))
        .hasMessageContaining("RoundMetrics");
  }

  @Test
  void aVectorWhoseByteLengthDoesNotMatchItsDimensionIsRefused() {
    ParameterVector bad =
        ParameterVector.newBuilder()
            .setModelKind(ModelKind.MLR)
            .setDimension(10)
            .setValues(ByteBuffer.wrap(new byte[36]))
            .build();
    ModelUpdate update = SampleRecords.modelUpdate("exp-1", "agent-001", 0, new float[] {1f});
    update.setParameters(bad);
    AvroSerde<ModelUpdate> serde = serdes.valueSerde(ModelUpdate.class);
    byte[] bytes = serde.serializer().serialize("updates", update);
    assertThatThrownBy(
            () ->
                serde
                    .deserializer()
                    .deserialize(new ConsumerRecord<>("updates", 0, 7L, null, bytes)))
        .isInstanceOfSatisfying(
            PayloadException.class,
            e -> assertThat(e.reason()).isEqualTo(PayloadException.Reason.VECTOR_MISMATCH))
        .hasMessageContaining("dimension 10 holds 36 bytes, expected 40")
        .hasMessageContaining("offset 7");
  }

  @Test
  void parameterVectorsAreLittleEndianFloat32() {
    ParameterVector v =
        ParameterVectors.of(ModelKind.MLR, new float[] {1.0f, -2.5f, Float.MIN_VALUE});
    byte[] bytes = new byte[v.getValues().remaining()];
    v.getValues().duplicate().get(bytes);
    assertThat(bytes).hasSize(12);
    assertThat(Arrays.copyOfRange(bytes, 0, 4)).containsExactly(0x00, 0x00, 0x80, 0x3f);
    assertThat(Arrays.copyOfRange(bytes, 4, 8)).containsExactly(0x00, 0x00, 0x20, 0xc0);
    assertThat(ParameterVectors.toFloats(v)).containsExactly(1.0f, -2.5f, Float.MIN_VALUE);
  }

  @Test
  void roundIsReadFromTheRecordsThatBeginWithExperimentAndRound() {
    for (org.apache.avro.Schema schema :
        java.util.List.of(
            ModelUpdate.getClassSchema(),
            io.demlearn.schemas.avro.ClusteringFeatures.getClassSchema(),
            io.demlearn.schemas.avro.GroupContribution.getClassSchema())) {
      assertThat(schema.getFields().subList(0, 2))
          .extracting(f -> f.name() + ":" + f.schema().getType())
          .as(schema.getName())
          .containsExactly("experimentId:STRING", "round:INT");
    }
    for (int round : new int[] {0, 1, 63, 64, 300, 1 << 20}) {
      ModelUpdate update =
          SampleRecords.modelUpdate(
              "an-experiment-with-a-long-id-" + "x".repeat(70),
              "agent-7",
              round,
              SampleRecords.randomFloats(10, round));
      byte[] bytes = serdes.valueSerde(ModelUpdate.class).serializer().serialize("u", update);
      assertThat(WireFormat.round(bytes)).as("round %d", round).isEqualTo(round);
    }
    var features = SampleRecords.clusteringFeatures("exp-1");
    assertThat(
            WireFormat.round(
                serdes
                    .valueSerde(io.demlearn.schemas.avro.ClusteringFeatures.class)
                    .serializer()
                    .serialize("f", features)))
        .isEqualTo(features.getRound());
    assertThat(WireFormat.round(new byte[] {0, 0, 0, 0, 1, (byte) 0xff})).isEqualTo(-1);
    assertThat(WireFormat.round(new byte[] {1, 0, 0, 0, 1, 2, 65, 4})).isEqualTo(-1);
    assertThat(WireFormat.round(new byte[] {0, 0, 0, 0, 1, 40, 65})).isEqualTo(-1);
    assertThat(WireFormat.round(null)).isEqualTo(-1);
  }
}
