package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * Netty's {@code SslContextBuilder} (also gRPC's shaded copy): with the OpenSSL provider the
 * context never goes through a JDK SSLContext, so Lanyard's key manager, trust manager and
 * client-auth requirement are put on the builder just before {@code build()}. The hook works by
 * reflection so one advice serves every (shaded) copy of Netty.
 */
public final class NettySslContextBuilderInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "netty-ssl-context-builder";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("io.netty.handler.ssl.SslContextBuilder",
        "io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("build").and(takesArguments(0)),
            NettySslContextBuilderInstrumentation.class.getName() + "$BuildAdvice");
  }

  /** Configures the builder with Lanyard's managers before it builds. */
  public static final class BuildAdvice {
    private BuildAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    public static void enter(@Advice.This Object builder) {
      LanyardBridge.beforeNettySslContextBuild(builder);
    }
  }
}
