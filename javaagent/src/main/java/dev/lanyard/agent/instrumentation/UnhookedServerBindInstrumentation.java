package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.SocketBridge;
import java.net.SocketAddress;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * The server binds the JDK socket hooks ({@code JdkSocketHooks}) cannot redirect, made visible
 * ({@code LANYARD_UPGRADE_INBOUND}): NIO2's {@code AsynchronousServerSocketChannel} binds in
 * {@code sun.nio.ch.AsynchronousServerSocketChannelImpl.bind}, and Netty's native epoll transport
 * ({@code EpollServerSocketChannel.doBind}, also gRPC's shaded copy) binds in native code. Neither
 * goes through {@code ServerSocketChannelImpl.bind}, so a port they bind would serve plaintext:
 * a {@code strict} port's bind is refused before it happens (the application gets a {@code
 * BindException} with the reason); after a successful bind of a {@code permissive} port Lanyard
 * logs one WARN line, counts it and lists it in {@code /identity}.
 */
public final class UnhookedServerBindInstrumentation implements Instrumentation {
  static final String NIO2 = "sun.nio.ch.AsynchronousServerSocketChannelImpl";
  /** The application's Netty (the agent has none of its own). */
  private static final String NETTY = "io.netty";
  static final String NETTY_EPOLL = NETTY + ".channel.epoll.EpollServerSocketChannel";
  static final String GRPC_SHADED_EPOLL = "io.grpc.netty.shaded." + NETTY_EPOLL;

  @Override
  public String name() {
    return "unhooked-server-bind";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of(NIO2, NETTY_EPOLL, GRPC_SHADED_EPOLL);
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("bind").and(takesArguments(2)).and(takesArgument(0, SocketAddress.class))
                .and(takesArgument(1, int.class)),
            UnhookedServerBindInstrumentation.class.getName() + "$Nio2BindAdvice")
        .advice(named("doBind").and(takesArguments(1))
                .and(takesArgument(0, SocketAddress.class)),
            UnhookedServerBindInstrumentation.class.getName() + "$EpollBindAdvice");
  }

  /** {@code AsynchronousServerSocketChannelImpl.bind} returned. */
  public static final class Nio2BindAdvice {
    private Nio2BindAdvice() {}

    /** A strict port is refused here, before it serves plaintext (not suppressed: fail closed). */
    @Advice.OnMethodEnter
    public static void enter(@Advice.This Object server, @Advice.Argument(0) SocketAddress local)
        throws java.io.IOException {
      SocketBridge.beforeUnhookedBind(server, local, "nio2");
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void exit(@Advice.This Object server, @Advice.Argument(0) SocketAddress local,
        @Advice.Thrown Throwable failure) {
      if (failure == null) {
        SocketBridge.unhookedBind(server, local, "nio2");
      }
    }
  }

  /** Netty's {@code EpollServerSocketChannel.doBind} returned. */
  public static final class EpollBindAdvice {
    private EpollBindAdvice() {}

    /** A strict port is refused here, before it serves plaintext (not suppressed: fail closed). */
    @Advice.OnMethodEnter
    public static void enter(@Advice.This Object server, @Advice.Argument(0) SocketAddress local)
        throws java.io.IOException {
      SocketBridge.beforeUnhookedBind(server, local, "netty-epoll");
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void exit(@Advice.This Object server, @Advice.Argument(0) SocketAddress local,
        @Advice.Thrown Throwable failure) {
      if (failure == null) {
        SocketBridge.unhookedBind(server, local, "netty-epoll");
      }
    }
  }
}
