package dev.lanyard.agent.upgrade;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * A counter the socket hooks count in before the runtime's registry exists (premain installs them
 * before main, the runtime starts in the background): counts are kept until {@link #attach}
 * registers it, then added.
 */
final class EarlyCounter {
  private final String name;
  private final String help;
  private final String[] labelNames;
  private final List<String[]> early = new ArrayList<>();
  private Counter counter;

  EarlyCounter(String name, String help, String... labelNames) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames.clone();
  }

  /** Registers the counter in {@code registry} and adds what was counted before. */
  synchronized void attach(PrometheusRegistry registry) {
    if (counter != null) {
      return;
    }
    counter = Counter.builder().name(name).help(help).labelNames(labelNames).register(registry);
    for (String[] labels : early) {
      counter.labelValues(labels).inc();
    }
    early.clear();
  }

  synchronized void inc(String... labels) {
    if (counter == null) {
      early.add(labels.clone());
    } else {
      counter.labelValues(labels).inc();
    }
  }
}
