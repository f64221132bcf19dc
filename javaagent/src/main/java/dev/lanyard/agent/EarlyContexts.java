package dev.lanyard.agent;

import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The SSLContexts adopted after being initialised before the javaagent's hooks, so that each is
 * logged once (two threads may adopt the same context at once: the field writes are not
 * synchronised, and adopting twice is harmless).
 */
final class EarlyContexts {
  private static final StackWalker STACK = StackWalker.getInstance();

  private final Set<Object> seen = Collections.synchronizedSet(
      Collections.newSetFromMap(new WeakHashMap<>()));

  /** True the first time this context (held weakly) is seen. */
  boolean firstSighting(Object contextSpi) {
    return seen.add(contextSpi);
  }

  /** The first caller on this thread's stack outside the JDK and Lanyard, or "the JDK". */
  static String firstApplicationFrame() {
    return STACK.walk(frames -> frames
        .filter(frame -> !isInfrastructure(frame.getClassName()))
        .findFirst()
        .map(frame -> frame.getClassName() + "." + frame.getMethodName() + "("
            + frame.getFileName() + ":" + frame.getLineNumber() + ")")
        .orElse("the JDK (thread " + Thread.currentThread().getName() + ")"));
  }

  static boolean isInfrastructure(String className) {
    return className.startsWith("java.") || className.startsWith("javax.")
        || className.startsWith("sun.") || className.startsWith("jdk.")
        || className.startsWith("com.sun.") || className.startsWith("dev.lanyard.agent.");
  }
}
