package dev.lanyard.webhook.inject;

import dev.lanyard.reasons.Reason;
import dev.lanyard.config.AppProbes;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The only place that knows what injection means: given a pod, the request's context and the
 * configuration, returns the injected pod and a report. Pure: no I/O, no clock, never changes its
 * input; the webhook, the CLI and the tests all call this, and a JSON Patch is just the {@link
 * JsonPatches#diff difference} of input and output (after Istio's {@code injectPod}).
 *
 * <p>Every step only adds what is missing, and never overwrites what the workload set, so injecting
 * an injected pod again (admission reinvocation, a re-applied manifest) changes nothing; the {@code
 * lanyard.dev/status} annotation makes that explicit.
 */
public final class PodInjector {
  private final InjectorConfig config;
  private final PeerCeiling ceiling;

  public PodInjector(InjectorConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.ceiling = PeerCeiling.of(config.ceiling());
  }

  public InjectorConfig config() {
    return config;
  }

  public InjectionResult inject(Pod original, RequestContext request) {
    Objects.requireNonNull(original, "pod");
    String podName = PodParts.displayName(original);
    String namespace =
        original.getMetadata() != null
                && original.getMetadata().getNamespace() != null
                && !original.getMetadata().getNamespace().isEmpty()
            ? original.getMetadata().getNamespace()
            : request.namespace();
    PodSettings settings = PodSettingsReader.read(original, config);
    List<InjectionWarning> warnings = new ArrayList<>(settings.warnings());

    Optional<InjectionReport> skip = podLevelSkip(original, namespace, settings, podName, warnings);
    if (skip.isPresent()) {
      if (skip.get().skipReason() == Reason.ALREADY_INJECTED) {
        // Injected before (or written to look so): what it carries must still fit the ceiling.
        Optional<InjectionResult> refused =
            refusedByCeiling(original, original, podName, namespace, List.of(), warnings);
        if (refused.isPresent()) {
          return refused.get();
        }
      }
      return new InjectionResult(original, skip.get());
    }

    Pod pod = KubeJson.serialization().clone(original);
    List<ContainerReport> plans = ContainerPlanner.plan(pod, settings, config, warnings);
    if (plans.stream().noneMatch(plan -> plan.mode().injected())) {
      String why =
          plans.isEmpty()
              ? "the pod has no containers"
              : plans.stream().map(ContainerReport::detail).collect(Collectors.joining("; "));
      return skipped(
          original,
          podName,
          namespace,
          Reason.NOTHING_TO_INJECT,
          "no container of pod " + podName + " can be injected: " + why,
          plans,
          warnings);
    }
    Optional<String> conflict = NameConflicts.find(pod, config);
    if (conflict.isPresent()) {
      return skipped(
          original,
          podName,
          namespace,
          Reason.NAME_CONFLICT,
          "pod " + podName + " skipped: " + conflict.get(),
          plans,
          warnings);
    }

    List<String> portClashes =
        LanyardPorts.clashes(
            pod,
            config,
            settings,
            !sidecarNames(plans).isEmpty(),
            javaagentNames(plans));
    if (!portClashes.isEmpty()) {
      return skipped(
          original,
          podName,
          namespace,
          Reason.LANYARD_PORT,
          "pod " + podName + " refused: " + String.join("; ", portClashes),
          plans,
          warnings);
    }

    if (!settings.refusals().isEmpty()) {
      return skipped(
          original,
          podName,
          namespace,
          Reason.INVALID_WORKLOAD_VALUE,
          "pod " + podName + " refused: " + String.join("; ", settings.refusals()),
          plans,
          warnings);
    }

    apply(pod, settings, plans, warnings);
    Optional<InjectionResult> refused =
        refusedByCeiling(pod, original, podName, namespace, plans, warnings);
    if (refused.isPresent()) {
      return refused.get();
    }
    return new InjectionResult(pod, InjectionReport.injected(podName, namespace, plans, warnings));
  }

  /** Judged on the pod as it would run: the env the webhook kept is as binding as what it set. */
  private Optional<InjectionResult> refusedByCeiling(
      Pod judged,
      Pod original,
      String podName,
      String namespace,
      List<ContainerReport> plans,
      List<InjectionWarning> warnings) {
    return CeilingCheck.violation(judged, namespace, ceiling)
        .map(
            why ->
                skipped(
                    original,
                    podName,
                    namespace,
                    Reason.OUTSIDE_CEILING,
                    "pod " + podName + " refused: " + why,
                    plans,
                    warnings));
  }

  private Optional<InjectionReport> podLevelSkip(
      Pod pod,
      String namespace,
      PodSettings settings,
      String podName,
      List<InjectionWarning> warnings) {
    Reason reason = null;
    String sentence = null;
    Optional<String> status = PodParts.annotation(pod, LanyardNames.STATUS);
    if (status.isPresent()) {
      reason = Reason.ALREADY_INJECTED;
      sentence = "pod " + podName + " is already injected (it has " + LanyardNames.STATUS + ")";
    } else if (settings.optedOut()) {
      reason = Reason.OPTED_OUT;
      sentence = "pod " + podName + " opted out with " + settings.optOutSource();
    } else if (namespace != null && InjectorConfig.SYSTEM_NAMESPACES.contains(namespace)) {
      reason = Reason.SYSTEM_NAMESPACE;
      sentence =
          "pod "
              + podName
              + " is in system namespace "
              + namespace
              + ", which Lanyard never injects; remove the label "
              + LanyardNames.INJECT
              + " from it";
    } else if (namespace != null && namespace.equals(config.webhookNamespace())) {
      reason = Reason.WEBHOOK_NAMESPACE;
      sentence =
          "pod "
              + podName
              + " is in the webhook's own namespace "
              + namespace
              + ", which Lanyard never injects (the webhook must not wait for itself)";
    } else if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      reason = Reason.HOST_NETWORK;
      sentence =
          "pod "
              + podName
              + " uses hostNetwork: its ports are the node's, so Lanyard's"
              + " admin and proxy ports would collide between pods; set "
              + LanyardNames.INJECT
              + "=false to silence this";
    } else if (pod.getSpec() != null
        && pod.getSpec().getOs() != null
        && pod.getSpec().getOs().getName() != null
        && !"linux".equals(pod.getSpec().getOs().getName())) {
      reason = Reason.UNSUPPORTED_OS;
      sentence =
          "pod "
              + podName
              + " runs on "
              + pod.getSpec().getOs().getName()
              + "; Lanyard injects Linux pods only";
    } else if (MalformedPods.problem(pod).isPresent()) {
      reason = Reason.INVALID_POD;
      sentence =
          "pod "
              + podName
              + " is not a valid pod ("
              + MalformedPods.problem(pod).get()
              + "); the apiserver will refuse it";
    } else if (!settings.invalid().isEmpty()) {
      reason = Reason.INVALID_ANNOTATION;
      sentence = "pod " + podName + " skipped: " + String.join("; ", settings.invalid());
    }
    if (reason == null) {
      return Optional.empty();
    }
    return Optional.of(
        InjectionReport.skipped(podName, namespace, reason, sentence, List.of(), warnings));
  }

  private static InjectionResult skipped(
      Pod original,
      String podName,
      String namespace,
      Reason reason,
      String sentence,
      List<ContainerReport> plans,
      List<InjectionWarning> warnings) {
    return new InjectionResult(
        original, InjectionReport.skipped(podName, namespace, reason, sentence, plans, warnings));
  }

  private void apply(
      Pod pod, PodSettings settings, List<ContainerReport> plans, List<InjectionWarning> warnings) {
    EnvSetter env = new EnvSetter(warnings);
    List<String> javaagentContainers = javaagentNames(plans);
    List<String> sidecarContainers = sidecarNames(plans);
    boolean sidecar = !sidecarContainers.isEmpty();
    Map<String, Integer> adminPorts =
        AdminPorts.allocate(pod, config, settings, sidecar, javaagentContainers);
    List<String> initContainers = new ArrayList<>();
    List<String> volumes = new ArrayList<>();

    SocketInjection.addVolume(pod, config);
    volumes.add(LanyardNames.SOCKET_VOLUME);
    for (ContainerReport plan : plans) {
      if (plan.mode().injected()) {
        Container container = PodParts.container(pod, plan.name()).orElseThrow();
        SocketInjection.mountInto(container, config, env);
        // The attestation variables are read by Lanyard code only: the javaagent in its JVM, and
        // the sidecar container (SidecarInjection gives it its own). An app behind the sidecar or
        // using the socket itself would carry 4 unused fieldRefs; every one is stored, validated
        // and converted by the apiserver on each pod creation (bench/webhook.sh --variants).
        if (plan.mode().javaagent()) {
          env.downwardApi(container);
        }
      }
    }
    if (javaagentContainers.isEmpty()) {
      UpgradeInjection.warnWithoutJavaagent(pod, warnings);
    }
    if (!javaagentContainers.isEmpty()) {
      JavaagentInjection.addJar(pod, config);
      volumes.add(LanyardNames.JAVAAGENT_VOLUME);
      if (config.javaagent().delivery() == InjectorConfig.JarDelivery.COPY) {
        initContainers.add(LanyardNames.JAVAAGENT_INIT_CONTAINER);
      }
      for (String name : javaagentContainers) {
        JavaagentInjection.into(
            PodParts.container(pod, name).orElseThrow(),
            adminPorts.get(name),
            settings,
            env,
            warnings);
        OperatorSettings.intoJavaagentContainer(
            PodParts.container(pod, name).orElseThrow(), config, env);
        // Before probe handling, which reads the LANYARD_UPGRADE_INBOUND set here.
        UpgradeInjection.intoJavaagentContainer(
            pod,
            PodParts.container(pod, name).orElseThrow(),
            config,
            LanyardPorts.inPod(config, sidecar, adminPorts),
            env);
      }
      // Planned before Lanyard's own readiness probe is added: that one is never rewritten.
      Map<String, AppProbes> probeRewrites =
          ProbeRewrite.plan(pod, javaagentContainers, warnings);
      List<String> readiness = JavaagentReadiness.wanted(pod, javaagentContainers);
      Map<String, Integer> healthPorts =
          AdminPorts.allocateHealth(
              pod,
              config,
              settings,
              adminPorts,
              javaagentContainers.stream()
                  .filter(
                      name ->
                          readiness.contains(name)
                              || (probeRewrites.containsKey(name)
                                  && ownHealthAddress(pod, name).isEmpty()))
                  .toList());
      healthPorts.forEach(
          (name, port) -> {
            Container container = PodParts.container(pod, name).orElseThrow();
            if (readiness.contains(name)) {
              JavaagentReadiness.into(container, port, env);
            } else {
              env.literal(container, LanyardNames.LANYARD_HEALTH_ADDRESS, "0.0.0.0:" + port, "");
            }
          });
      probeRewrites.forEach(
          (name, probes) -> {
            Container container = PodParts.container(pod, name).orElseThrow();
            Optional<Integer> port =
                Optional.ofNullable(healthPorts.get(name))
                    .or(
                        () ->
                            ownHealthAddress(pod, name)
                                .map(EnvVar::getValue)
                                .flatMap(AdminPorts::portOf));
            if (port.isPresent()) {
              ProbeRewrite.apply(container, probes, port.get(), env);
            } else {
              warnings.add(ProbeRewrite.healthPortOff(container));
            }
          });
    }
    if (sidecar) {
      Container sidecarContainer = SidecarInjection.addSidecar(
          pod, config, settings, adminPorts.get(LanyardNames.SIDECAR_CONTAINER), env);
      OperatorSettings.intoSidecar(sidecarContainer, config, env);
      initContainers.add(LanyardNames.SIDECAR_CONTAINER);
      volumes.add(LanyardNames.SIDECAR_TMP_VOLUME);
      for (String name : sidecarContainers) {
        SidecarInjection.proxyFor(PodParts.container(pod, name).orElseThrow(), config, env);
      }
    } else if (settings.inbound().isPresent()) {
      warnings.add(
          new InjectionWarning(
              Reason.INBOUND_WITHOUT_SIDECAR,
              LanyardNames.INBOUND
                  + " is set but no container of pod "
                  + PodParts.displayName(pod)
                  + " uses the sidecar, so"
                  + " nothing listens on those mesh ports; JVM containers serve TLS themselves"));
    }
    if (!sidecar && settings.inboundJwtAudience().isPresent()) {
      warnings.add(
          new InjectionWarning(
              Reason.INBOUND_JWT_WITHOUT_SIDECAR,
              LanyardNames.INBOUND_JWT_AUDIENCE
                  + " is set but no container of pod "
                  + PodParts.displayName(pod)
                  + " uses the sidecar, which is what checks inbound JWT-SVIDs; the javaagent"
                  + " authorizes callers by their SVID in the TLS handshake"));
    }

    MetricsPort.apply(pod, config, sidecar, javaagentContainers, env, warnings);

    Map<String, String> modes = new LinkedHashMap<>();
    Map<String, String> runtimes = new LinkedHashMap<>();
    plans.forEach(
        plan -> {
          modes.put(plan.name(), plan.mode().wireName());
          runtimes.put(plan.name(), plan.runtime());
        });
    InjectionStatus status =
        new InjectionStatus(
            config.version(), modes, runtimes, adminPorts, initContainers, volumes);
    PodParts.annotations(pod).put(LanyardNames.STATUS, status.toJson());
  }

  /** The {@code LANYARD_HEALTH_ADDRESS} a container sets itself (null value: a valueFrom). */
  private static Optional<EnvVar> ownHealthAddress(Pod pod, String name) {
    return PodParts.container(pod, name)
        .flatMap(c -> PodParts.env(c, LanyardNames.LANYARD_HEALTH_ADDRESS));
  }

  private static List<String> javaagentNames(List<ContainerReport> plans) {
    return plans.stream()
        .filter(plan -> plan.mode().javaagent())
        .map(ContainerReport::name)
        .toList();
  }

  private static List<String> sidecarNames(List<ContainerReport> plans) {
    return plans.stream()
        .filter(plan -> plan.mode().sidecar())
        .map(ContainerReport::name)
        .toList();
  }
}
