package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;

/**
 * The sidecar for non-JVM containers, as a native sidecar: an init container with {@code
 * restartPolicy: Always}. The kubelet starts it before the app containers and, because of its
 * startup probe on the health port's {@code /ready}, starts them only once it holds an SVID; and
 * it does not keep a Job's pod alive after the app containers finish (Kubernetes 1.29+). Its admin
 * endpoint and {@code /shutdown} listen on loopback; only the health port (readiness, nothing
 * else) is on the pod IP.
 */
final class SidecarInjection {
  private static final String TMP_SIZE = "64Mi";

  private SidecarInjection() {}

  /**
   * Adds the sidecar after the jar's copy container (if any) and before the workload's own init
   * containers.
   */
  static Container addSidecar(
      Pod pod, InjectorConfig config, PodSettings settings, int adminPort, EnvSetter env) {
    PodParts.ensureVolume(pod, tmpVolume());
    Container existing = PodParts.initContainer(pod, LanyardNames.SIDECAR_CONTAINER).orElse(null);
    if (existing != null) {
      return existing;
    }
    Container sidecar = new Container();
    sidecar.setName(LanyardNames.SIDECAR_CONTAINER);
    sidecar.setImage(config.sidecar().image());
    sidecar.setImagePullPolicy(config.sidecar().imagePullPolicy());
    sidecar.setRestartPolicy("Always");
    int healthPort = config.sidecar().healthPort();
    ContainerPort health = new ContainerPort();
    health.setName(LanyardNames.HEALTH_PORT_NAME);
    health.setContainerPort(healthPort);
    health.setProtocol("TCP");
    sidecar.setPorts(new ArrayList<>(List.of(health)));
    sidecar.setStartupProbe(readyProbe(healthPort, config.sidecar().startupProbeFailureThreshold()));
    sidecar.setResources(RestrictedSecurity.copy(config.sidecar().resources()));
    sidecar.setSecurityContext(RestrictedSecurity.forInjectedContainer(config.security()));
    VolumeMount tmp = new VolumeMount();
    tmp.setName(LanyardNames.SIDECAR_TMP_VOLUME);
    tmp.setMountPath("/tmp");
    PodParts.mounts(sidecar).add(tmp);
    SocketInjection.mountInto(sidecar, config, env);
    env.downwardApi(sidecar);
    env.literal(
        sidecar,
        LanyardNames.LANYARD_ADMIN_ADDRESS,
        config.sidecar().adminListenHost() + ":" + adminPort,
        "");
    env.literal(sidecar, LanyardNames.LANYARD_HEALTH_ADDRESS, "0.0.0.0:" + healthPort, "");
    env.literal(
        sidecar,
        LanyardNames.LANYARD_OUTBOUND_PROXY,
        "127.0.0.1:" + config.sidecar().outboundProxyPort(),
        "");
    env.literal(
        sidecar,
        LanyardNames.LANYARD_SHUTDOWN_ADDRESS,
        "127.0.0.1:" + config.sidecar().shutdownPort(),
        "");
    settings
        .inbound()
        .ifPresent(value -> env.literal(sidecar, LanyardNames.LANYARD_INBOUND, value, ""));
    settings
        .inboundJwtAudience()
        .ifPresent(
            value -> env.literal(sidecar, LanyardNames.LANYARD_INBOUND_JWT_AUDIENCE, value, ""));
    env.policyFromAnnotations(sidecar, settings);

    List<Container> initContainers = PodParts.initContainers(pod);
    int position =
        PodParts.initContainer(pod, LanyardNames.JAVAAGENT_INIT_CONTAINER)
            .map(copy -> initContainers.indexOf(copy) + 1)
            .orElse(0);
    initContainers.add(position, sidecar);
    return sidecar;
  }

  /**
   * Sends an app container's plain-HTTP calls through the sidecar, which originates mTLS. Each pair
   * (upper and lower case, read by different HTTP libraries) is set together or not at all: a
   * workload with its own proxy in one spelling keeps it in both.
   */
  static void proxyFor(Container container, InjectorConfig config, EnvSetter env) {
    String proxy = "http://127.0.0.1:" + config.sidecar().outboundProxyPort();
    setPair(
        container,
        "HTTP_PROXY",
        "http_proxy",
        proxy,
        env,
        ", so its plain-HTTP calls do not go through the sidecar");
    setPair(
        container,
        "NO_PROXY",
        "no_proxy",
        config.sidecar().noProxy(),
        env,
        ", so what bypasses the sidecar is the workload's choice");
  }

  private static void setPair(
      Container container,
      String upper,
      String lower,
      String value,
      EnvSetter env,
      String consequence) {
    boolean hasUpper = PodParts.env(container, upper).isPresent();
    boolean hasLower = PodParts.env(container, lower).isPresent();
    if (hasUpper || !hasLower) {
      env.literal(container, upper, value, consequence);
    }
    if (hasLower || !hasUpper) {
      env.literal(container, lower, value, consequence);
    }
  }

  static boolean looksLikeOurTmp(Volume volume) {
    return volume.getEmptyDir() != null;
  }

  private static Volume tmpVolume() {
    EmptyDirVolumeSource emptyDir = new EmptyDirVolumeSource();
    emptyDir.setSizeLimit(new Quantity(TMP_SIZE));
    Volume volume = new Volume();
    volume.setName(LanyardNames.SIDECAR_TMP_VOLUME);
    volume.setEmptyDir(emptyDir);
    return volume;
  }

  /**
   * {@code GET /ready} on the health port at the pod IP (the kubelet probes from the node; a {@code
   * host: 127.0.0.1} would probe the node's own loopback), every second until the SVID is there.
   */
  private static Probe readyProbe(int healthPort, int failureThreshold) {
    HTTPGetAction get = new HTTPGetAction();
    get.setPath("/ready");
    get.setPort(new IntOrString(healthPort));
    get.setScheme("HTTP");
    Probe probe = new Probe();
    probe.setHttpGet(get);
    probe.setPeriodSeconds(1);
    probe.setTimeoutSeconds(1);
    probe.setSuccessThreshold(1);
    probe.setFailureThreshold(failureThreshold);
    return probe;
  }
}
