package io.demlearn.schemas.security;

import java.util.Arrays;
import java.util.List;

/**
 * Who a client of a secure cluster is: each role is one principal ({@code User:<id>}) with the
 * access {@link ExperimentAcls} grants it. The operator administers the cluster (creates topics,
 * grants the others their ACLs, registers agents' keys, reads experiments back), so it is a super
 * user: whoever may grant ACLs may do anything.
 */
public enum Role {
  OPERATOR,
  WORKER,
  AGGREGATOR,
  CLUSTERER;

  /** The principal's name, also the name of the role's client-config file. */
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public String principal() {
    return "User:" + id();
  }

  /** Every role's id, in declaration order. */
  public static List<String> ids() {
    return Arrays.stream(values()).map(Role::id).toList();
  }
}
