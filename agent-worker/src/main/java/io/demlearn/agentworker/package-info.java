/**
 * The agent worker: hosts learning agents. Each agent consumes hierarchy assignments
 * ({@code hierarchy-assignments}, key: version, value: HierarchyAssignment) and the group models
 * on its path ({@code group-models}, key: group id, value: GroupModel), mixes them top-down,
 * evaluates, trains one round and publishes its update ({@code model-updates}, key: agent id,
 * value: ModelUpdate). Built in the streaming-pipeline step.
 */
package io.demlearn.agentworker;
