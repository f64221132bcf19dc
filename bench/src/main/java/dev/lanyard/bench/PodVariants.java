package dev.lanyard.bench;

import dev.lanyard.testkit.TestPki;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code bench/webhook.sh --variants}: what in the injected pod costs the apiserver. The pod as the
 * webhook returns it (read back from a dry run) is created with no webhook call, whole and with one
 * part of the injection taken out at a time, next to the plain pod; interleaved rounds, the order
 * rotating, pods/s of each as the median over rounds. Writes {@code webhook-variants-<date>.md}.
 */
final class PodVariants {
  private static final Map<String, String> DOWNWARD_API = Map.of(
      "LANYARD_POD_NAME", "metadata.name", "LANYARD_POD_NAMESPACE", "metadata.namespace",
      "LANYARD_NODE_NAME", "spec.nodeName", "LANYARD_SERVICE_ACCOUNT", "spec.serviceAccountName");
  private static final Set<String> PROXY_ENV = Set.of("HTTP_PROXY", "http_proxy", "NO_PROXY",
      "no_proxy");

  private PodVariants() {}

  static Path measure(KubernetesClient client, PodCreationRounds bench, WebhookBench.Settings settings,
      TestPki pki, int port) throws Exception {
    double[] loadStart = Machine.loadAverage();
    BenchPods.register(client, pki, port);
    Pod injected = BenchPods.preInjectedTemplate(client);
    Map<String, Pod> variants = new LinkedHashMap<>();
    variants.put("plain (as submitted, no injection)", BenchPods.realisticPod());
    variants.put("pre-injected (as the webhook returns it)", injected);
    variants.put("− Downward API env (4 fieldRef vars) in every container",
        edit(injected, pod -> allContainers(pod).forEach(c -> c.getEnv().removeIf(
            e -> e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null
                && e.getName().startsWith("LANYARD_")))));
    variants.put("+ Downward API env in sidecar-mode app containers (what the webhook added "
        + "before 2026-12-06)",
        edit(injected, pod -> pod.getSpec().getContainers().stream()
            .filter(c -> c.getEnv().stream().anyMatch(e -> e.getName().equals("HTTP_PROXY")))
            .filter(c -> c.getEnv().stream().noneMatch(e -> e.getName().equals("LANYARD_POD_NAME")))
            .forEach(c -> DOWNWARD_API.forEach((name, field) -> c.getEnv().add(
                new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef()
                    .withFieldPath(field).endFieldRef().endValueFrom().build())))));
    variants.put("− the sidecar's startupProbe",
        edit(injected, pod -> allContainers(pod).forEach(c -> c.setStartupProbe(null))));
    variants.put("− securityContext and resources of the injected init containers",
        edit(injected, pod -> pod.getSpec().getInitContainers().stream()
            .filter(c -> c.getName().startsWith("lanyard-")).forEach(c -> {
              c.setSecurityContext(null);
              c.setResources(null);
            })));
    variants.put("− the lanyard.dev/status annotation",
        edit(injected, pod -> pod.getMetadata().getAnnotations().remove("lanyard.dev/status")));
    variants.put("− the sidecar (init container, its volume, proxy env)",
        edit(injected, pod -> {
          pod.getSpec().getInitContainers().removeIf(c -> c.getName().equals("lanyard-sidecar"));
          pod.getSpec().getVolumes().removeIf(v -> v.getName().equals("lanyard-sidecar-tmp"));
          pod.getSpec().getContainers().forEach(c -> c.getEnv().removeIf(
              e -> PROXY_ENV.contains(e.getName())));
        }));
    variants.put("− every env var Lanyard added (pre-existing ones kept)",
        edit(injected, pod -> allContainers(pod).forEach(c -> c.getEnv().removeIf(
            e -> e.getName().startsWith("LANYARD_") || e.getName().equals("SPIFFE_ENDPOINT_SOCKET")
                || PROXY_ENV.contains(e.getName())))));

    System.out.println("bench: variants warm-up (load " + WebhookBench.load1() + ")");
    for (Pod pod : variants.values()) {
      bench.createPods(client, BenchPods.PLAIN_NS, pod, settings.pods(), WebhookBench.Side.PRE_INJECTED);
    }
    BenchPods.deleteAll(client);
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    variants.keySet().forEach(name -> rates.put(name, new ArrayList<>()));
    // apiserver + etcd CPU per pod: far steadier than pods/s on a shared machine.
    Map<String, Double> cpuMillis = new LinkedHashMap<>();
    Map<String, Double> clientCpuMillis = new LinkedHashMap<>();
    List<String> loads = new ArrayList<>();
    for (int round = 0; round < settings.rounds(); round++) {
      loads.add(WebhookBench.load1());
      List<String> order = new ArrayList<>(variants.keySet());
      Collections.rotate(order, -round);
      for (String name : order) {
        Map<String, Double> before = bench.cpuSeconds();
        double rate = bench.createPods(client, BenchPods.PLAIN_NS, variants.get(name),
            settings.pods(), WebhookBench.Side.PRE_INJECTED);
        Map<String, Double> after = bench.cpuSeconds();
        double pods = settings.pods() * (double) settings.rounds();
        cpuMillis.merge(name, 1000 * (serverCpu(after) - serverCpu(before)) / pods, Double::sum);
        clientCpuMillis.merge(name, 1000 * (after.get(CLIENT) - before.get(CLIENT)) / pods,
            Double::sum);
        rates.get(name).add(rate);
        BenchPods.deleteAll(client);
      }
      System.out.println("bench: variants round " + (round + 1) + " (load "
          + WebhookBench.load1() + ")");
    }

    double plain = Stats.median(rates.get("plain (as submitted, no injection)"));
    double whole = Stats.median(rates.get("pre-injected (as the webhook returns it)"));
    StringBuilder md = new StringBuilder("# webhook: what in the injected pod costs the apiserver, ")
        .append(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).append("\n\n")
        .append("Produced by `").append(settings.command()).append("`: ").append(settings.rounds())
        .append(" interleaved rounds of ").append(settings.pods()).append(" pods per variant, ")
        .append(settings.creators()).append(" creators, created in the unlabelled namespace (no "
            + "webhook call), deleted after each variant. Load average 1 min per round: ")
        .append(String.join(", ", loads)).append(" (start ").append(Machine.loadText(loadStart))
        .append(", end ").append(Machine.loadText(Machine.loadAverage())).append(").\n\n")
        .append("| variant | JSON bytes | env vars | kube-apiserver + etcd CPU, ms/pod | load "
            + "generator CPU, ms/pod | pods/s, median (min–max) | ÷ plain | ÷ pre-injected |\n"
            + "|---|---|---|---|---|---|---|---|\n");
    for (Map.Entry<String, Pod> variant : variants.entrySet()) {
      List<Double> r = rates.get(variant.getKey());
      md.append("| ").append(variant.getKey()).append(" | ")
          .append(Serialization.asJson(variant.getValue()).getBytes(StandardCharsets.UTF_8).length)
          .append(" | ").append(allContainers(variant.getValue()).mapToInt(c -> c.getEnv().size())
              .sum())
          .append(" | ").append(Stats.format(cpuMillis.get(variant.getKey()), 2))
          .append(" | ").append(Stats.format(clientCpuMillis.get(variant.getKey()), 2))
          .append(" | ").append(Stats.summary(r, 1)).append(" | ")
          .append(Stats.format(Stats.median(r) / plain, 3)).append(" | ")
          .append(Stats.format(Stats.median(r) / whole, 3)).append(" |\n");
    }
    System.out.print(md);
    Files.createDirectories(settings.out());
    String date = DateTimeFormatter.ISO_LOCAL_DATE.format(Instant.now().atOffset(ZoneOffset.UTC));
    Path out = settings.out().resolve("webhook-variants-" + date + ".md");
    Files.writeString(out, md.toString());
    return out;
  }

  private static final String CLIENT = "load generator (this JVM)";

  private static double serverCpu(Map<String, Double> cpu) {
    return cpu.getOrDefault("kube-apiserver", 0.0) + cpu.getOrDefault("etcd", 0.0);
  }

  private static Pod edit(Pod pod, java.util.function.Consumer<Pod> change) {
    Pod copy = Serialization.clone(pod);
    change.accept(copy);
    return copy;
  }

  private static Stream<Container> allContainers(Pod pod) {
    return Stream.concat(pod.getSpec().getContainers().stream(),
        pod.getSpec().getInitContainers().stream());
  }
}
