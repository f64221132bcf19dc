package dev.lanyard.agent.bootstrap;

import java.io.IOException;
import java.net.BindException;
import java.net.SocketAddress;

/**
 * What advice inlined into the JDK's sockets calls (bootstrap class loader, like {@link
 * LanyardBridge}). Only installed when {@code LANYARD_UPGRADE_INBOUND} or {@code
 * LANYARD_UPGRADE_OUTBOUND} upgrades some port. The bind and connect hooks enforce: when one
 * fails, the application's bind or connect fails too, with the reason, rather than serving or
 * calling in clear text a port the operator asked to protect (docs/ARCHITECTURE.md, "When a
 * hook fails").
 */
public final class SocketBridge {
  private static volatile SocketHooks hooks;

  private SocketBridge() {}

  public static void install(SocketHooks installed) {
    hooks = installed;
  }

  public static SocketAddress beforeBind(Object server, SocketAddress requested)
      throws IOException {
    SocketHooks current = hooks;
    if (current == null || requested == null) {
      return requested;
    }
    try {
      return current.beforeBind(server, requested);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      HookFailures.report("beforeBind", "binds of ports LANYARD_UPGRADE_INBOUND upgrades fail"
          + " (fail closed: never plaintext on a port the operator asked to protect)", t);
      BindException refused = new BindException("lanyard: could not put mTLS in front of "
          + requested + " (LANYARD_UPGRADE_INBOUND): Lanyard's beforeBind hook failed with " + t
          + "; the bind is refused rather than served in clear text; restart the workload");
      refused.initCause(t);
      throw refused;
    }
  }

  public static SocketAddress beforeConnect(Object socket, SocketAddress remote)
      throws IOException {
    SocketHooks current = hooks;
    if (current == null || remote == null) {
      return remote;
    }
    try {
      return current.beforeConnect(socket, remote);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      HookFailures.report("beforeConnect", "connections to destinations LANYARD_UPGRADE_OUTBOUND"
          + " upgrades fail (fail closed: never plaintext to a mesh destination it names)", t);
      java.net.ConnectException refused = new java.net.ConnectException("lanyard: could not"
          + " carry the connection to " + remote + " as mTLS (LANYARD_UPGRADE_OUTBOUND): Lanyard's"
          + " beforeConnect hook failed with " + t + "; the connection is refused rather than"
          + " sent in clear text; restart the workload");
      refused.initCause(t);
      throw refused;
    }
  }

  public static void beforeUnhookedBind(Object server, SocketAddress requested, String transport)
      throws IOException {
    SocketHooks current = hooks;
    if (current == null || requested == null) {
      return;
    }
    try {
      current.beforeUnhookedBind(server, requested, transport);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      HookFailures.report("beforeUnhookedBind", "binds through " + transport + " of ports"
          + " LANYARD_UPGRADE_INBOUND names fail (fail closed: never plaintext on a strict port)", t);
      BindException refused = new BindException("lanyard: could not check the bind of "
          + requested + " through " + transport + " against LANYARD_UPGRADE_INBOUND: Lanyard's"
          + " hook failed with " + t + "; the bind is refused rather than served in clear text;"
          + " restart the workload");
      refused.initCause(t);
      throw refused;
    }
  }

  public static void beforeUnhookedConnect(Object channel, SocketAddress remote,
      String transport) throws IOException {
    SocketHooks current = hooks;
    if (current == null || remote == null) {
      return;
    }
    try {
      current.beforeUnhookedConnect(channel, remote, transport);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      HookFailures.report("beforeUnhookedConnect", "connections through " + transport + " to"
          + " destinations LANYARD_UPGRADE_OUTBOUND names fail (fail closed: never plaintext to a"
          + " strict mesh destination)", t);
      java.net.ConnectException refused = new java.net.ConnectException("lanyard: could not"
          + " check the connection to " + remote + " through " + transport + " against"
          + " LANYARD_UPGRADE_OUTBOUND: Lanyard's hook failed with " + t + "; the connection is"
          + " refused rather than sent in clear text; restart the workload");
      refused.initCause(t);
      throw refused;
    }
  }

  /**
   * As {@link #beforeUnhookedConnect}, for advice that must hand the refusal to the application
   * through a future or a completion handler (NIO2) instead of throwing it: the refusal, or null
   * when the connect may go ahead.
   */
  public static IOException unhookedConnectRefusal(Object channel, SocketAddress remote,
      String transport) {
    try {
      beforeUnhookedConnect(channel, remote, transport);
      return null;
    } catch (IOException refused) {
      return refused;
    }
  }

  /**
   * Whether {@code availability.isAvailable()} (Netty's {@code Epoll}, io_uring), which returned
   * true, should answer false to its caller so that it chooses the JDK NIO transport. Never
   * throws: on a failure the native transport stays, and binds and connects through it meet the
   * unhooked-transport checks (refused when strict).
   */
  /**
   * A native transport's {@code isAvailable()} returned {@code available} (upgrade.hooks'
   * NativeTransportHooks): false for a framework Lanyard steers to NIO, else unchanged.
   */
  public static boolean nativeTransportAvailable(boolean available, Class<?> availability) {
    return available && !steerToNio(availability);
  }

  public static boolean steerToNio(Class<?> availability) {
    SocketHooks current = hooks;
    if (current == null) {
      return false;
    }
    try {
      return current.steerToNio(availability);
    } catch (Throwable t) {
      HookFailures.report("steerToNio", "frameworks that detect Netty's native transports keep"
          + " choosing them: their binds and connects are refused on strict ports, reported on"
          + " permissive ones", t);
      return false;
    }
  }

  public static void unhookedBind(Object server, SocketAddress requested, String transport) {
    SocketHooks current = hooks;
    if (current == null || requested == null) {
      return;
    }
    try {
      current.unhookedBind(server, requested, transport);
    } catch (Throwable t) {
      HookFailures.report("unhookedBind", "a port bound through " + transport + " that"
          + " LANYARD_UPGRADE_INBOUND names may serve plaintext without the WARN line", t);
    }
  }

  public static void afterBind(Object server, Throwable failure) {
    SocketHooks current = hooks;
    if (current == null) {
      return;
    }
    try {
      current.afterBind(server, failure);
    } catch (Throwable t) {
      HookFailures.report("afterBind", "connections to that port are never served (its listener"
          + " has no application port to relay to)", t);
    }
  }

  public static void closed(Object server) {
    SocketHooks current = hooks;
    if (current == null) {
      return;
    }
    try {
      current.closed(server);
    } catch (Throwable t) {
      HookFailures.report("closed", "Lanyard's listener in front of a closed server socket may"
          + " stay bound until the JVM exits", t);
    }
  }
}
