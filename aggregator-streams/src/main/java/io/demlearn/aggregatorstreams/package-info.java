/**
 * The aggregator: a Kafka Streams app that averages model updates ({@code model-updates}, key:
 * agent id, value: ModelUpdate) per group and level, bottom-up, under the hierarchy in force for
 * each round ({@code hierarchy-assignments}), and publishes group models ({@code group-models},
 * key: group id, value: GroupModel). Built in the streaming-pipeline step.
 */
package io.demlearn.aggregatorstreams;
