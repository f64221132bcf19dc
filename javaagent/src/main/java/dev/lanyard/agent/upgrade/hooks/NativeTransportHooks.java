package dev.lanyard.agent.upgrade.hooks;

import dev.lanyard.agent.bootstrap.SocketBridge;
import java.util.List;

/**
 * Steers frameworks that pick Netty's native transports by themselves to the JDK NIO transport,
 * whose binds and connects the plaintext upgrade carries as mTLS: gRPC-Java ({@code Utils}, also
 * in grpc-netty-shaded), Reactor Netty ({@code DefaultLoopEpoll}, {@code DefaultLoopIOUring}) and
 * any code that asks {@code Epoll.isAvailable()} or io_uring's {@code isAvailable()} before
 * choosing. Those answer false to callers outside Netty's own transport package ({@link
 * SocketBridge#nativeTransportAvailable}; Netty's feature checks inside it are left as they are),
 * so an event loop the application builds on epoll explicitly still runs on epoll, and meets the
 * unhooked-bind and unhooked-connect refusals. Installed before main with {@link JdkSocketHooks},
 * only while the plaintext upgrade is on: frameworks decide at their first use.
 */
public final class NativeTransportHooks {
  private static final String BRIDGE = SocketBridge.class.getName().replace('.', '/');
  /** Built at run time: the agent's shade step rewrites string literals starting with io/netty. */
  private static final String NETTY = String.join("/", "io", "netty");
  static final String EPOLL = NETTY + "/channel/epoll/Epoll";
  static final String GRPC_SHADED_EPOLL = "io/grpc/netty/shaded/" + EPOLL;
  /** Netty 4.1's io_uring (netty-incubator-transport-native-io_uring), Reactor Netty's choice. */
  static final String INCUBATOR_IO_URING = NETTY + "/incubator/channel/uring/IOUring";
  /** Netty 4.2's io_uring (netty-transport-native-io_uring). */
  static final String IO_URING = NETTY + "/channel/uring/IoUring";

  private NativeTransportHooks() {}

  /** {@code static boolean isAvailable()} of each, its answer passed through the bridge. */
  public static List<MethodHook> all() {
    return List.of(availability(EPOLL), availability(GRPC_SHADED_EPOLL),
        availability(INCUBATOR_IO_URING), availability(IO_URING));
  }

  private static MethodHook availability(String owner) {
    return MethodHook.library(owner, "isAvailable", "()Z", BRIDGE)
        .onExit(MethodHook.Exit.FILTER_RETURN_WITH_CLASS, "nativeTransportAvailable");
  }
}
