package dev.lanyard.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import dev.lanyard.agent.bootstrap.LanyardBridge;
import java.util.Set;
import java.util.List;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;

/**
 * OkHttp rebuilds the peer's chain with the JDK trust manager it keeps for itself, which knows no
 * SPIFFE bundle: {@code Handshake.peerCertificates()} then comes back empty and certificate
 * pinning fails. For a chain whose leaf a Lanyard trust manager authorized in a handshake, the
 * chain as verified is the clean chain.
 */
public final class OkHttpChainCleanerInstrumentation implements Instrumentation {
  @Override
  public String name() {
    return "okhttp-chain-cleaner";
  }

  @Override
  public Set<String> typeNames() {
    return Set.of("okhttp3.internal.tls.BasicCertificateChainCleaner");
  }

  @Override
  public AgentBuilder.Transformer transformer() {
    return Instrumentation.adviceTransformer()
        .advice(named("clean").and(takesArguments(2)),
            OkHttpChainCleanerInstrumentation.class.getName() + "$CleanAdvice");
  }

  /** Keeps an authorized SVID chain instead of failing to clean it. */
  public static final class CleanAdvice {
    private CleanAdvice() {}

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    public static void exit(
        @Advice.Argument(0) List<?> chain,
        @Advice.Return(readOnly = false, typing = net.bytebuddy.implementation.bytecode.assign.Assigner.Typing.DYNAMIC) Object cleaned,
        @Advice.Thrown(readOnly = false) Throwable thrown) {
      if (thrown != null && chain != null && !chain.isEmpty()
          && LanyardBridge.isAuthorizedSpiffeLeaf(chain.get(0))) {
        thrown = null;
        cleaned = chain;
      }
    }
  }
}
