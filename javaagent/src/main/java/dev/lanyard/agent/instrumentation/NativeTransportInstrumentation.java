package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.SocketBridge;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * Steers frameworks that pick Netty's native transports by themselves to the JDK NIO transport,
 * whose binds and connects the plaintext upgrade carries as mTLS: gRPC-Java ({@code Utils}, also
 * in grpc-netty-shaded), Reactor Netty ({@code DefaultLoopEpoll}, {@code DefaultLoopIOUring}) and
 * any code that asks {@code Epoll.isAvailable()} or io_uring's {@code isAvailable()} before
 * choosing. Those answer false to callers outside Netty's own transport package (Netty's feature
 * checks inside it are left as they are), so an event loop the application builds on epoll
 * explicitly still runs on epoll, and meets {@link UnhookedServerBindInstrumentation} and {@link
 * UnhookedClientConnectInstrumentation}. Installed only while the plaintext upgrade is on.
 */
public final class NativeTransportInstrumentation implements Instrumentation {
  /** Built at run time: the agent's shade step rewrites string literals starting with io.netty. */
  private static final String NETTY = String.join(".", "io", "netty");
  static final String EPOLL = NETTY + ".channel.epoll.Epoll";
  static final String GRPC_SHADED_EPOLL = "io.grpc.netty.shaded." + EPOLL;
  /** Netty 4.1's io_uring (netty-incubator-transport-native-io_uring), Reactor Netty's choice. */
  static final String INCUBATOR_IO_URING = NETTY + ".incubator.channel.uring.IOUring";
  /** Netty 4.2's io_uring (netty-transport-native-io_uring). */
  static final String IO_URING = NETTY + ".channel.uring.IoUring";

  @Override
  public String name() {
    return "native-transport-detection";
  }

  /** In before main with the socket hooks: frameworks decide at their first use. */
  @Override
  public boolean hooksSockets() {
    return true;
  }

  @Override
  public Set<String> typeNames() {
    return Set.of(EPOLL, GRPC_SHADED_EPOLL, INCUBATOR_IO_URING, IO_URING);
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("isAvailable").and(isStatic()).and(takesArguments(0))
                .and(returns(boolean.class)),
            NativeTransportInstrumentation.class.getName() + "$AvailabilityAdvice");
  }

  /** {@code isAvailable()} returned; a true answer to a framework becomes false. */
  public static final class AvailabilityAdvice {
    private AvailabilityAdvice() {}

    /** Suppressed: if Lanyard fails here, the native transport is chosen and refused as before. */
    @Advice.OnMethodExit(suppress = Throwable.class)
    public static void exit(@Advice.Origin Class<?> availability,
        @Advice.Return(readOnly = false) boolean available) {
      if (available && SocketBridge.steerToNio(availability)) {
        available = false;
      }
    }
  }
}
