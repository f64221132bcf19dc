package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * Netty's {@code SslContextBuilder} (also gRPC's shaded copy): with the OpenSSL provider the
 * context never goes through a JDK SSLContext, so Lanyard's key manager, trust manager and
 * client-auth requirement are put on the builder just before {@code build()}. The hook works by
 * reflection so one advice serves every (shaded) copy of Netty.
 */
public final class NettySslContextBuilderInstrumentation implements Instrumentation {
  /** The application's Netty (the agent has none of its own). */
  private static final String NETTY = "io.netty";

  @Override
  public String name() {
    return "netty-ssl-context-builder";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of(NETTY + ".handler.ssl.SslContextBuilder",
        "io.grpc.netty.shaded." + NETTY + ".handler.ssl.SslContextBuilder");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("build").and(takesArguments(0)),
            NettySslContextBuilderInstrumentation.class.getName() + "$BuildAdvice");
  }

  /**
   * Configures the builder with Lanyard's managers before it builds; when that failed, the build
   * fails instead of producing a context that verifies mesh peers by Web PKI.
   */
  public static final class BuildAdvice {
    private BuildAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static boolean enter(@Advice.This Object builder) {
      return LanyardBridge.beforeNettySslContextBuild(builder);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void exit(
        @Advice.Enter boolean configured,
        @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object context,
        @Advice.Thrown(readOnly = false) Throwable thrown) {
      if (!configured) {
        context = null;
        thrown = LanyardBridge.nettyBuildRefused();
      }
    }
  }
}
