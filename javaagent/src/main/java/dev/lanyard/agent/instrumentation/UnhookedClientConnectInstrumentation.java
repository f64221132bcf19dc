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
 * The client connects {@link ClientConnectInstrumentation} cannot redirect ({@code
 * LANYARD_UPGRADE_OUTBOUND}): Netty's native epoll transport connects in native code ({@code
 * AbstractEpollChannel.doConnect}, also gRPC's shaded copy, which gRPC-Java's Netty client uses by
 * default on Linux), never through {@code SocketChannelImpl.connect}, so such a connection would go
 * out in clear text. To a mesh destination on a {@code strict} port it is refused before it
 * starts (the application's connect fails with the reason); on a {@code permissive} port it goes
 * ahead in clear text and Lanyard says so once per destination.
 */
public final class UnhookedClientConnectInstrumentation implements Instrumentation {
  /** The application's Netty (the agent has none of its own). */
  private static final String NETTY = "io.netty";
  static final String NETTY_EPOLL = NETTY + ".channel.epoll.AbstractEpollChannel";
  static final String GRPC_SHADED_EPOLL = "io.grpc.netty.shaded." + NETTY_EPOLL;

  @Override
  public String name() {
    return "unhooked-client-connect";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of(NETTY_EPOLL, GRPC_SHADED_EPOLL);
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("doConnect").and(takesArguments(2))
                .and(takesArgument(0, SocketAddress.class))
                .and(takesArgument(1, SocketAddress.class)),
            UnhookedClientConnectInstrumentation.class.getName() + "$EpollConnectAdvice");
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
}
