package io.demlearn.schemas.security;

import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.TopicKind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least access each service role needs to one experiment, as Kafka ACLs that the operator
 * grants when it creates the experiment's topics:
 *
 * <ul>
 *   <li>every service reads (and describes) the experiment's topics, {@code demlearn.<id>.*};
 *   <li>workers write {@code model-updates} and {@code clustering-features}, and join the group
 *       {@code demlearn.<id>.agent-workers};
 *   <li>the aggregator writes {@code group-models}, {@code dead-letters} and its own topics ({@code
 *       aggregation-*}, {@code round-tallies}), and owns everything named {@code
 *       demlearn.<id>.aggregator*}: its Streams application's group, internal topics and
 *       transactional ids;
 *   <li>the clusterer writes {@code hierarchy-assignments}.
 * </ul>
 *
 * Nobody but the operator writes {@code experiments}, {@code metrics} or {@code agent-keys}.
 */
public final class ExperimentAcls {
  private ExperimentAcls() {}

  /** The ACLs of one experiment's services. */
  public static List<AclBinding> of(String experimentId) {
    ExperimentTopics topics = ExperimentTopics.of(experimentId);
    String experiment = ExperimentTopics.PREFIX + experimentId + ".";
    List<AclBinding> out = new ArrayList<>();
    for (Role role : List.of(Role.WORKER, Role.AGGREGATOR, Role.CLUSTERER)) {
      for (AclOperation op : List.of(AclOperation.READ, AclOperation.DESCRIBE_CONFIGS)) {
        out.add(allow(role, ResourceType.TOPIC, experiment, PatternType.PREFIXED, op));
      }
    }
    writes(out, Role.WORKER, topics, TopicKind.MODEL_UPDATES, TopicKind.CLUSTERING_FEATURES);
    out.add(
        allow(
            Role.WORKER,
            ResourceType.GROUP,
            experiment + "agent-workers",
            PatternType.LITERAL,
            AclOperation.READ));
    writes(
        out,
        Role.AGGREGATOR,
        topics,
        TopicKind.GROUP_MODELS,
        TopicKind.DEAD_LETTERS,
        TopicKind.AGGREGATION_CONTROL,
        TopicKind.ROUND_TALLIES);
    out.add(
        allow(
            Role.AGGREGATOR,
            ResourceType.TOPIC,
            topics.name(TopicKind.AGGREGATION_LEVEL) + "-",
            PatternType.PREFIXED,
            AclOperation.WRITE));
    String streams = experiment + "aggregator";
    out.add(
        allow(
            Role.AGGREGATOR, ResourceType.TOPIC, streams, PatternType.PREFIXED, AclOperation.ALL));
    out.add(
        allow(
            Role.AGGREGATOR, ResourceType.GROUP, streams, PatternType.PREFIXED, AclOperation.READ));
    out.add(
        allow(
            Role.AGGREGATOR,
            ResourceType.TRANSACTIONAL_ID,
            streams,
            PatternType.PREFIXED,
            AclOperation.WRITE));
    writes(out, Role.CLUSTERER, topics, TopicKind.HIERARCHY_ASSIGNMENTS);
    return out;
  }

  /**
   * Grants an experiment's ACLs, if the cluster authorizes requests.
   *
   * @return the ACLs granted; 0 if the cluster has no authorizer (then nothing is needed)
   * @throws IllegalStateException naming the cluster's answer if it refuses
   */
  public static int grant(Admin admin, String experimentId) {
    List<AclBinding> acls = of(experimentId);
    try {
      if (!authorizes(admin)) {
        return 0;
      }
      admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
      return acls.size();
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot grant the ACLs of experiment "
              + experimentId
              + " (is this client the operator?): "
              + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "the cluster did not answer within 60 s while granting the ACLs of experiment "
              + experimentId,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while granting ACLs", e);
    }
  }

  /** Whether the cluster has an authorizer (else every client may do everything). */
  public static boolean authorizes(Admin admin)
      throws InterruptedException, ExecutionException, TimeoutException {
    try {
      admin.describeAcls(AclBindingFilter.ANY).values().get(60, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SecurityDisabledException) {
        return false;
      }
      throw e;
    }
  }

  private static void writes(
      List<AclBinding> out, Role role, ExperimentTopics topics, TopicKind... kinds) {
    for (TopicKind kind : kinds) {
      out.add(
          allow(
              role,
              ResourceType.TOPIC,
              topics.name(kind),
              PatternType.LITERAL,
              AclOperation.WRITE));
    }
  }

  private static AclBinding allow(
      Role role, ResourceType type, String name, PatternType pattern, AclOperation op) {
    return new AclBinding(
        new ResourcePattern(type, name, pattern),
        new AccessControlEntry(role.principal(), "*", op, AclPermissionType.ALLOW));
  }
}
