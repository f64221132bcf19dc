package dev.lanyard.agent.instrumentation;

import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.matcher.ElementMatchers;

/** One hooked API: which types it matches and the advice it applies. */
public interface Instrumentation {
  /** A short name for logs and {@code /identity} ("ssl-context-init", "okhttp-hostname", ...). */
  String name();

  /** The fully qualified names of the hooked types (also what premain waits for). */
  Set<String> typeNames();

  default ElementMatcher<TypeDescription> types() {
    return ElementMatchers.namedOneOf(typeNames().toArray(String[]::new));
  }

  AgentBuilder.Transformer transformer();

  /** An advice transformer that finds advice classes in the javaagent's own class loader. */
  static AgentBuilder.Transformer.ForAdvice adviceTransformer() {
    return new AgentBuilder.Transformer.ForAdvice()
        .include(Instrumentation.class.getClassLoader());
  }
}
