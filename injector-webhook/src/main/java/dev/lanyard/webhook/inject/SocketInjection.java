package dev.lanyard.webhook.inject;

import io.fabric8.kubernetes.api.model.CSIVolumeSource;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;

/**
 * The SPIRE Agent's Workload API socket: one volume, mounted read-only where SPIFFE_ENDPOINT_SOCKET
 * points.
 */
final class SocketInjection {
  private SocketInjection() {}

  static Volume volume(InjectorConfig.Socket socket) {
    Volume volume = new Volume();
    volume.setName(LanyardNames.SOCKET_VOLUME);
    if (socket.type() == InjectorConfig.SocketVolumeType.CSI) {
      CSIVolumeSource csi = new CSIVolumeSource();
      csi.setDriver(socket.csiDriver());
      csi.setReadOnly(true);
      volume.setCsi(csi);
    } else {
      HostPathVolumeSource hostPath = new HostPathVolumeSource();
      hostPath.setPath(socket.hostPath());
      // Directory, not DirectoryOrCreate: a missing SPIRE Agent must show as a mount error,
      // not as an empty directory that the kubelet created.
      hostPath.setType("Directory");
      volume.setHostPath(hostPath);
    }
    return volume;
  }

  /** Whether an existing volume of our name is one Lanyard would have added. */
  static boolean looksLikeOurs(Volume volume, InjectorConfig.Socket socket) {
    if (volume.getCsi() != null) {
      return socket.csiDriver().equals(volume.getCsi().getDriver());
    }
    if (volume.getHostPath() != null) {
      return socket.hostPath().equals(volume.getHostPath().getPath());
    }
    return false;
  }

  static void addVolume(Pod pod, InjectorConfig config) {
    PodParts.ensureVolume(pod, volume(config.socket()));
  }

  /** Mounts the socket into one container (an app container or the sidecar) and points it there. */
  static void mountInto(Container container, InjectorConfig config, EnvSetter env) {
    PodParts.ensureReadOnlyMount(
        container, LanyardNames.SOCKET_VOLUME, LanyardNames.SOCKET_MOUNT_PATH);
    env.literal(
        container,
        LanyardNames.SPIFFE_ENDPOINT_SOCKET,
        config.endpointSocket(),
        ", so it looks for the Workload API elsewhere than the socket Lanyard mounted");
  }
}
