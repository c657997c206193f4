/**
 * The clusterer: consumes a round's model updates ({@code model-updates}, key: agent id, value:
 * ModelUpdate), re-forms the hierarchy by agglomerative clustering every T rounds, and publishes
 * its versions ({@code hierarchy-assignments}, key: version, value: HierarchyAssignment). Built in
 * the streaming-pipeline step.
 */
package io.demlearn.clusterer;
