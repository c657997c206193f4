package io.demlearn.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.registry.CompatibilityLevel;
import io.demlearn.schemas.registry.IncompatibleSchemaException;
import io.demlearn.schemas.registry.SchemaRegistryClient;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerde;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.serde.PayloadException;
import io.demlearn.schemas.serde.WireFormat;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalRegistryExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The serdes and the REST client against a real registry (Apicurio 2.4.2, Confluent API). */
@Tag("integration")
@ExtendWith(LocalRegistryExtension.class)
class RegistrySerdeIT {
  private final String prefix = "it-" + UUID.randomUUID().toString().substring(0, 8);

  private static AvroSerdes serdes(LocalSchemaRegistry registry) {
    return new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
  }

  @Test
  @SuppressWarnings("unchecked")
  void everySchemaRoundTripsAndCarriesTheIdTheRegistryGave(LocalSchemaRegistry registry)
      throws Exception {
    AvroSerdes serdes = serdes(registry);
    for (SpecificRecord record : SampleRecords.all(prefix)) {
      String topic = prefix + "." + record.getClass().getSimpleName();
      AvroSerde<SpecificRecord> serde =
          serdes.valueSerde((Class<SpecificRecord>) record.getClass());
      byte[] bytes = serde.serializer().serialize(topic, record);

      // a fresh client, so that the id comes from the registry and not from our cache
      SchemaRegistryClient fresh =
          SchemaRegistryConfig.clientFor(Map.of(SchemaRegistryConfig.URL, registry.url()));
      int id = fresh.lookup(topic + "-value", record.getSchema());
      assertThat(bytes[0]).isZero();
      assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
      // the registry's own answer for that id is the record's schema
      String raw =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(registry.url() + "/schemas/ids/" + id)).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(new Schema.Parser().parse(new ObjectMapper().readTree(raw).get("schema").asText()))
          .isEqualTo(record.getSchema());

      AvroSerde<SpecificRecord> reader =
          serdes(registry).valueSerde((Class<SpecificRecord>) record.getClass());
      assertThat(reader.deserializer().deserialize(topic, bytes)).isEqualTo(record);
    }
  }

  @Test
  void aCompatibleChangeRegistersAndAnIncompatibleOneIsRefused(LocalSchemaRegistry registry) {
    SchemaRegistryClient client =
        SchemaRegistryConfig.clientFor(Map.of(SchemaRegistryConfig.URL, registry.url()));
    String subject = prefix + ".model-updates-value";
    Schema v1 = ModelUpdate.getClassSchema();
    int id1 = client.register(subject, v1);
    client.setCompatibility(subject, CompatibilityLevel.BACKWARD);
    assertThat(client.compatibility(subject)).isEqualTo(CompatibilityLevel.BACKWARD);

    Schema withDefault = evolved(v1, true);
    Schema withoutDefault = evolved(v1, false);
    assertThat(client.isCompatible(subject, withoutDefault)).isFalse();
    assertThatThrownBy(() -> client.register(subject, withoutDefault))
        .isInstanceOf(IncompatibleSchemaException.class)
        .hasMessageContaining("incompatible")
        .hasMessageContaining("HTTP 409")
        .hasMessageContaining(subject);
    assertThat(client.isCompatible(subject, withDefault)).isTrue();
    int id2 = client.register(subject, withDefault);
    assertThat(id2).isNotEqualTo(id1);
    assertThat(client.register(subject, withDefault)).isEqualTo(id2);

    // a record written with the newer schema reads with today's class (schema resolution)
    GenericRecord newer = new GenericData.Record(withDefault);
    ModelUpdate sample = SampleRecords.modelUpdate(prefix, "agent-9", 2, new float[] {1f, 2f});
    for (Schema.Field f : v1.getFields()) {
      newer.put(f.name(), GenericData.get().deepCopy(f.schema(), sample.get(f.pos())));
    }
    newer.put("clippedNorm", 3.5);
    byte[] bytes = frame(id2, withDefault, newer);
    ModelUpdate read =
        serdes(registry)
            .valueSerde(ModelUpdate.class)
            .deserializer()
            .deserialize(prefix + ".model-updates", bytes);
    assertThat(read).isEqualTo(sample);
  }

  @Test
  void anUnknownSchemaIdIsRefusedByName(LocalSchemaRegistry registry) {
    byte[] payload = {0, 0x7f, 0, 0, 1, 2, 4};
    assertThatThrownBy(
            () ->
                serdes(registry)
                    .valueSerde(ModelUpdate.class)
                    .deserializer()
                    .deserialize("t", payload))
        .isInstanceOfSatisfying(
            PayloadException.class,
            e -> assertThat(e.reason()).isEqualTo(PayloadException.Reason.UNKNOWN_SCHEMA_ID))
        .hasMessageContaining("schema id " + 0x7f000001)
        .hasMessageContaining(registry.url());
  }

  /** {@code base} with one more field, {@code clippedNorm}, with or without a default. */
  static Schema evolved(Schema base, boolean withDefault) {
    try {
      ObjectMapper json = new ObjectMapper();
      ObjectNode root = (ObjectNode) json.readTree(base.toString());
      ObjectNode field = ((ArrayNode) root.get("fields")).addObject();
      field.put("name", "clippedNorm").put("type", "double");
      if (withDefault) {
        field.put("default", 0.0);
      }
      return new Schema.Parser().parse(root.toString());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] frame(int id, Schema schema, GenericRecord record) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] header = new byte[WireFormat.HEADER_SIZE];
      WireFormat.writeHeader(header, id);
      out.write(header);
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
