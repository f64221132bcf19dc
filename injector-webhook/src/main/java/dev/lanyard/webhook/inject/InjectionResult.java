package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Pod;

/** The pod after injection (the input itself, unchanged, when skipped) and what was done. */
public record InjectionResult(Pod pod, InjectionReport report) {}
