package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.SocketBridge;
import java.net.SocketAddress;
import java.nio.channels.CompletionHandler;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * The client connects {@code upgrade.hooks.JdkSocketHooks} cannot redirect ({@code
 * LANYARD_UPGRADE_OUTBOUND}): Netty's native epoll transport connects in native code ({@code
 * AbstractEpollChannel.doConnect}, also gRPC's shaded copy, when the application chose epoll
 * itself; {@code upgrade.hooks.NativeTransportHooks} steer frameworks' own choice to NIO), and NIO2's
 * {@code AsynchronousSocketChannel} in {@code UnixAsynchronousSocketChannelImpl.implConnect};
 * neither goes through {@code SocketChannelImpl.connect}, so such a connection would go out in
 * clear text. To a mesh destination on a {@code strict} port it is refused before it starts (the
 * application's connect fails with the reason: thrown by epoll's, delivered through the future or
 * the completion handler by NIO2's); on a {@code permissive} port it goes ahead in clear text and
 * Lanyard says so once per destination. Both are counted.
 */
public final class UnhookedClientConnectInstrumentation implements Instrumentation {
  /** The application's Netty (the agent has none of its own). */
  private static final String NETTY = "io.netty";
  static final String NETTY_EPOLL = NETTY + ".channel.epoll.AbstractEpollChannel";
  static final String GRPC_SHADED_EPOLL = "io.grpc.netty.shaded." + NETTY_EPOLL;
  static final String NIO2 = "sun.nio.ch.UnixAsynchronousSocketChannelImpl";

  @Override
  public String name() {
    return "unhooked-client-connect";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of(NETTY_EPOLL, GRPC_SHADED_EPOLL, NIO2);
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("doConnect").and(takesArguments(2))
                .and(takesArgument(0, SocketAddress.class))
                .and(takesArgument(1, SocketAddress.class)),
            UnhookedClientConnectInstrumentation.class.getName() + "$EpollConnectAdvice")
        .advice(named("implConnect").and(takesArguments(3))
                .and(takesArgument(0, SocketAddress.class))
                .and(takesArgument(2, CompletionHandler.class)),
            UnhookedClientConnectInstrumentation.class.getName() + "$Nio2ConnectAdvice");
  }

  /** Netty's {@code AbstractEpollChannel.doConnect(remote, local)}. */
  public static final class EpollConnectAdvice {
    private EpollConnectAdvice() {}

    /** Not suppressed: a refusal must reach the application (fail closed). */
    @Advice.OnMethodEnter
    public static void enter(@Advice.This Object channel,
        @Advice.Argument(0) SocketAddress remote) throws java.io.IOException {
      SocketBridge.beforeUnhookedConnect(channel, remote, "netty-epoll");
    }
  }

  /**
   * NIO2's {@code implConnect(remote, attachment, handler)}: a refused connect does not start; the
   * channel is closed and the refusal reaches the application as a failed connect does, through
   * the returned future ({@code get()} throws it as the cause) or {@code handler.failed}.
   */
  public static final class Nio2ConnectAdvice {
    private Nio2ConnectAdvice() {}

    /** A non-null refusal skips the connect. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    public static Throwable enter(@Advice.This Object channel,
        @Advice.Argument(0) SocketAddress remote) {
      return SocketBridge.unhookedConnectRefusal(channel, remote, "nio2");
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    @Advice.OnMethodExit
    public static void exit(@Advice.Enter Throwable refused, @Advice.This Object channel,
        @Advice.Argument(1) Object attachment, @Advice.Argument(2) CompletionHandler handler,
        @Advice.Return(readOnly = false) Future<Void> result) {
      if (refused == null) {
        return;
      }
      try {
        ((java.nio.channels.Channel) channel).close();
      } catch (java.io.IOException ignored) {
        // Closing a channel that never connected: nothing to release.
      }
      if (handler == null) {
        CompletableFuture<Void> failed = new CompletableFuture<>();
        failed.completeExceptionally(refused);
        result = failed;
      } else {
        result = null;
        handler.failed(refused, attachment);
      }
    }
  }
}
