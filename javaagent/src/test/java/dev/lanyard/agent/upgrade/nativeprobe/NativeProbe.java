package dev.lanyard.agent.upgrade.nativeprobe;

import dev.lanyard.agent.upgrade.NativeTransportSteering;

/**
 * Stands in for Netty's {@code Epoll} in {@code NativeTransportSteeringTest}: its {@code
 * isAvailable} asks the steering as Lanyard's advice does, and {@link #isFeatureAvailable} asks it
 * from inside the same package, as Netty's own feature checks do.
 */
public final class NativeProbe {
  private NativeProbe() {}

  public static boolean isAvailable(NativeTransportSteering steering) {
    return !steering.steer(NativeProbe.class);
  }

  public static boolean isFeatureAvailable(NativeTransportSteering steering) {
    return isAvailable(steering);
  }

  /** Another class of the same package asking. */
  public static final class SamePackageCaller {
    private SamePackageCaller() {}

    public static boolean ask(NativeTransportSteering steering) {
      return isAvailable(steering);
    }
  }
}
