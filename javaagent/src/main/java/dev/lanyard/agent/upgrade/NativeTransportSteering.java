package dev.lanyard.agent.upgrade;

import dev.lanyard.tls.LanyardLog;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * While the plaintext upgrade is on, frameworks that look for Netty's native transports (epoll,
 * io_uring) are told they are unavailable, so they choose the JDK NIO transport, whose binds and
 * connects Lanyard carries as mTLS. Said once per availability class: one line, and an entry in
 * {@code /identity} ({@code native_transports_steered}).
 */
public final class NativeTransportSteering {
  private static final StackWalker CALLERS =
      StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

  private final String upgradeKeys;
  private final BiConsumer<String, String> steered;
  private final Set<String> said = ConcurrentHashMap.newKeySet();

  /**
   * {@code upgradeKeys}: the variables that turned the upgrade on, for the log line; {@code
   * steered} hears of each availability class steered and who asked first.
   */
  public NativeTransportSteering(String upgradeKeys, BiConsumer<String, String> steered) {
    this.upgradeKeys = upgradeKeys;
    this.steered = steered;
  }

  /**
   * {@code availability.isAvailable()} returned true: whether to answer false. Yes for a caller
   * outside {@code availability}'s package (a framework choosing its transport; said once per
   * class); no for Netty's own checks inside it (features of a transport already in use).
   */
  public boolean steer(Class<?> availability) {
    // The frame after isAvailable's own; reflection frames are hidden (gRPC asks reflectively).
    Class<?> caller = CALLERS.walk(frames -> frames
        .dropWhile(frame -> frame.getDeclaringClass() != availability)
        .skip(1)
        .findFirst()
        .map(StackWalker.StackFrame::getDeclaringClass)
        .orElse(null));
    if (caller == null || caller.getPackageName().equals(availability.getPackageName())) {
      return false;
    }
    return steer(availability.getName(), caller.getName());
  }

  /** {@code askedBy} asked {@code availability.isAvailable()}: answered false, said once. */
  boolean steer(String availability, String askedBy) {
    if (said.add(availability)) {
      LanyardLog.info("steered " + askedBy + " to the JDK NIO transport: it asked " + availability
          + ".isAvailable() and Lanyard answered false, because the plaintext upgrade ("
          + upgradeKeys + ") carries sockets as mTLS only on the JDK's own transport (NIO's"
          + " cost next to " + transport(availability) + ": docs/ARCHITECTURE.md); an event loop"
          + " the application builds on " + transport(availability) + " itself is not upgraded"
          + " (refused on strict ports)");
      steered.accept(availability, askedBy);
    }
    return true;
  }

  private static String transport(String availability) {
    return availability.endsWith(".Epoll") ? "epoll" : "io_uring";
  }
}
