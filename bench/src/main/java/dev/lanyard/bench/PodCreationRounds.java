package dev.lanyard.bench;

import dev.lanyard.bench.WebhookBench.Side;
import dev.lanyard.testkit.TestPki;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Measurement (b) of {@link WebhookBench}: pods created per second through the apiserver with the
 * webhook, without it and pre-injected, in interleaved rounds, with every process's CPU time.
 * {@link PodVariants} creates its pods with the same {@link #createPods}.
 */
final class PodCreationRounds {
  private final WebhookBench.Settings settings;
  private final WebhookResults results;
  private final long webhookPid;

  PodCreationRounds(WebhookBench.Settings settings, WebhookResults results, long webhookPid) {
    this.settings = settings;
    this.results = results;
    this.webhookPid = webhookPid;
  }

  void measure(KubernetesClient client, TestPki pki, int port)
      throws Exception {
    BenchPods.register(client, pki, port);

    System.out.println("bench: pod creation warm-up (load " + WebhookBench.load1() + ")");
    createPods(client, BenchPods.INJECTED_NS, BenchPods.realisticPod(), settings.warmupPods(), Side.WITH);
    createPods(client, BenchPods.PLAIN_NS, BenchPods.realisticPod(), settings.warmupPods(), Side.WITHOUT);
    BenchPods.deleteAll(client);
    results.injectedChecked = 0;
    results.injectedFound = 0;
    results.creationErrors = 0;

    Pod preInjected = BenchPods.preInjectedTemplate(client);
    for (int round = 0; round < settings.rounds(); round++) {
      results.loads.add("round " + (round + 1) + ": " + WebhookBench.load1());
      // Each side goes first, second and third in turn.
      List<Side> order = new ArrayList<>(List.of(Side.values()));
      Collections.rotate(order, -round);
      results.roundOrder.add(order.stream().map(side -> side.label).collect(Collectors.joining(", ")));
      Map<Side, Double> rates = new EnumMap<>(Side.class);
      for (Side side : order) {
        Map<String, Double> cpuBefore = cpuSeconds();
        double rate = switch (side) {
          case WITH -> createPods(client, BenchPods.INJECTED_NS, BenchPods.realisticPod(), settings.pods(), side);
          case WITHOUT -> createPods(client, BenchPods.PLAIN_NS, BenchPods.realisticPod(), settings.pods(), side);
          case PRE_INJECTED -> createPods(client, BenchPods.PLAIN_NS, preInjected, settings.pods(), side);
        };
        Map<String, Double> cpuAfter = cpuSeconds();
        Map<String, Double> sink = results.cpu.computeIfAbsent(side, s -> new LinkedHashMap<>());
        cpuAfter.forEach((name, seconds) ->
            sink.merge(name, seconds - cpuBefore.getOrDefault(name, 0.0), Double::sum));
        results.podsCreated.merge(side, settings.pods(), Integer::sum);
        rates.put(side, rate);
        BenchPods.deleteAll(client);
      }
      results.withPerSecond.add(rates.get(Side.WITH));
      results.withoutPerSecond.add(rates.get(Side.WITHOUT));
      results.preInjectedPerSecond.add(rates.get(Side.PRE_INJECTED));
      System.out.printf(Locale.ROOT, "bench: round %d: with webhook %.1f pods/s, without %.1f,"
          + " pre-injected %.1f, ratio %.3f (load %s)%n", round + 1, rates.get(Side.WITH),
          rates.get(Side.WITHOUT), rates.get(Side.PRE_INJECTED),
          rates.get(Side.WITH) / rates.get(Side.WITHOUT), WebhookBench.load1());
    }
  }

  /**
   * CPU seconds (user + system) so far of every process taking part: etcd and kube-apiserver
   * (children of this JVM, found by name), the webhook and this load generator. Where the added
   * work of a webhook call goes is then visible, not guessed.
   */
  Map<String, Double> cpuSeconds() {
    Map<String, Double> cpu = new LinkedHashMap<>();
    ProcessHandle.current().descendants().forEach(child -> {
      String command = child.info().command().orElse("");
      String name = command.endsWith("/etcd") ? "etcd"
          : command.endsWith("/kube-apiserver") ? "kube-apiserver"
          : child.pid() == webhookPid ? "webhook" : null;
      if (name != null) {
        cpu.merge(name, Machine.cpuSeconds(child.pid()), Double::sum);
      }
    });
    cpu.put("load generator (this JVM)", Machine.cpuSeconds(ProcessHandle.current().pid()));
    return cpu;
  }

  /** {@code count} pods by {@code creators} threads; returns pods per second of wall time. */
  double createPods(KubernetesClient client, String namespace, Pod template, int count,
      Side side) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger injected = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    List<String> firstError = Collections.synchronizedList(new ArrayList<>());
    ExecutorService creators = Executors.newFixedThreadPool(settings.creators());
    long start = System.nanoTime();
    for (int t = 0; t < settings.creators(); t++) {
      creators.submit(() -> {
        while (next.getAndIncrement() < count) {
          try {
            Pod created = client.pods().inNamespace(namespace).resource(template).create();
            Map<String, String> annotations = created.getMetadata().getAnnotations();
            if (annotations != null && annotations.containsKey(BenchPods.STATUS)) {
              injected.incrementAndGet();
            }
          } catch (RuntimeException e) {
            if (errors.getAndIncrement() == 0) {
              firstError.add(e.getMessage());
            }
          }
        }
      });
    }
    creators.shutdown();
    if (!creators.awaitTermination(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("pod creation in " + namespace + " did not finish");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    results.creationErrors += errors.get();
    if (!firstError.isEmpty()) {
      System.out.println("bench: " + errors.get() + " creations failed in " + namespace
          + ", first: " + firstError.get(0));
    }
    if (side == Side.WITH) {
      results.injectedChecked += count - errors.get();
      results.injectedFound += injected.get();
    } else if (side == Side.WITHOUT && injected.get() > 0) {
      throw new IllegalStateException(injected.get() + " pods injected in " + namespace);
    }
    return (count - errors.get()) / seconds;
  }
}
