package dev.lanyard.agent;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.security.ProtectionDomain;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The transformer premain registers at once, so that building ByteBuddy (about a thousand classes
 * loaded into the agent class loader) happens on a background thread instead of before the
 * application's main. Classes Lanyard does not hook pass through untouched; a hooked class that
 * loads before ByteBuddy is ready waits for it (bounded), so no TLS class escapes the hooks. Only
 * the JDK is used here: nothing of ByteBuddy is loaded until the delegate arrives.
 */
final class DeferredTransformer implements ClassFileTransformer {
  private final Set<String> hookedInternalNames;
  private final Duration maxWait;
  private final Consumer<String> warn;
  private final CountDownLatch ready = new CountDownLatch(1);
  private volatile ClassFileTransformer delegate;
  private volatile Thread builder;
  private volatile boolean warned;

  DeferredTransformer(Set<String> hookedInternalNames, Duration maxWait, Consumer<String> warn) {
    this.hookedInternalNames = Set.copyOf(hookedInternalNames);
    this.maxWait = maxWait;
    this.warn = warn;
  }

  /** The thread that builds the delegate; it must never wait for itself. */
  void builtBy(Thread thread) {
    this.builder = thread;
  }

  void ready(ClassFileTransformer transformer) {
    this.delegate = transformer;
    ready.countDown();
  }

  /** Whether ByteBuddy's transformer is in place. */
  boolean isReady() {
    return delegate != null;
  }

  @Override
  public byte[] transform(Module module, ClassLoader loader, String className,
      Class<?> classBeingRedefined, ProtectionDomain domain, byte[] classfile)
      throws IllegalClassFormatException {
    ClassFileTransformer current = delegate;
    if (current == null) {
      if (className == null || !hookedInternalNames.contains(className)
          || Thread.currentThread() == builder) {
        return null;
      }
      current = awaitDelegate(className);
      if (current == null) {
        return null;
      }
    }
    return current.transform(module, loader, className, classBeingRedefined, domain, classfile);
  }

  private ClassFileTransformer awaitDelegate(String className) {
    try {
      if (!ready.await(maxWait.toMillis(), TimeUnit.MILLISECONDS) && !warned) {
        warned = true;
        warn.accept("TLS hooks not ready after " + maxWait.toSeconds() + " s; " + className
            .replace('/', '.') + " loaded without them and is not covered");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return delegate;
  }
}
