package dev.lanyard.webhook.workload;

import com.fasterxml.jackson.core.JsonPointer;
import java.util.Locale;
import java.util.Optional;

/** The kinds whose pods Lanyard injects, and where each keeps its pod template. */
public enum WorkloadKind {
  POD("Pod", ""),
  DEPLOYMENT("Deployment", "/spec/template"),
  REPLICA_SET("ReplicaSet", "/spec/template"),
  STATEFUL_SET("StatefulSet", "/spec/template"),
  DAEMON_SET("DaemonSet", "/spec/template"),
  JOB("Job", "/spec/template"),
  CRON_JOB("CronJob", "/spec/jobTemplate/spec/template"),
  REPLICATION_CONTROLLER("ReplicationController", "/spec/template");

  private final String kind;
  private final JsonPointer template;

  WorkloadKind(String kind, String template) {
    this.kind = kind;
    this.template = JsonPointer.compile(template);
  }

  public String kind() {
    return kind;
  }

  /** Where the pod (template) is in the object: the root for a Pod. */
  public JsonPointer template() {
    return template;
  }

  public static Optional<WorkloadKind> of(String kind) {
    for (WorkloadKind candidate : values()) {
      if (candidate.kind.equals(kind)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** {@code deployment}, as in {@code kubectl get deployment/NAME}. */
  public String resourceName() {
    return kind.toLowerCase(Locale.ROOT);
  }
}
