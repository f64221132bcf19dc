package dev.lanyard.bench;

import dev.lanyard.testkit.PrometheusText;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What one webhook bench run measured, filled in by {@link AdmissionLatency} and {@link
 * PodCreationRounds} and written by {@link WebhookReport}.
 */
final class WebhookResults {
  Instant started = Instant.now();
  final List<String> loads = new ArrayList<>();
  double[] loadStart;
  double[] loadEnd;
  String jarSha = "";
  String webhookCommand = "";

  // (a) handler latency
  LatencySamples latency;
  LatencySamples healthLatency;
  double webhookCpuPerAdmissionMs;
  PrometheusText.Histogram serverHistogram;
  List<GcLog.Pause> gcPauses = List.of();

  // (b) pods per second
  final List<Double> withPerSecond = new ArrayList<>();
  final List<Double> withoutPerSecond = new ArrayList<>();
  final List<Double> preInjectedPerSecond = new ArrayList<>();
  final List<String> roundOrder = new ArrayList<>();
  int injectedChecked;
  int injectedFound;
  int creationErrors;
  /** CPU seconds spent per process during the measured rounds, with and without the webhook. */
  final Map<WebhookBench.Side, Map<String, Double>> cpu = new EnumMap<>(WebhookBench.Side.class);
  final Map<WebhookBench.Side, Integer> podsCreated = new EnumMap<>(WebhookBench.Side.class);

  /** Milliseconds of CPU per pod created of {@code process} on {@code side}. */
  double cpuPerPod(WebhookBench.Side side, String process) {
    return 1000 * cpu.getOrDefault(side, Map.of()).getOrDefault(process, 0.0)
        / Math.max(1, podsCreated.getOrDefault(side, 0));
  }
}
