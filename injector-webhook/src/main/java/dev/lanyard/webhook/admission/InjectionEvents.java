package dev.lanyard.webhook.admission;

import dev.lanyard.webhook.inject.InjectionReport;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * Where the webhook tells the cluster what it did to a pod. Implementations must return at once:
 * they are called on the admission path, which the apiserver is waiting on.
 */
public interface InjectionEvents {
  /** Events turned off, or no cluster to send them to. */
  InjectionEvents NONE = (pod, report) -> {};

  void record(Pod pod, InjectionReport report);
}
