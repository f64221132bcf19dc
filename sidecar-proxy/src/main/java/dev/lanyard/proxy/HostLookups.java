package dev.lanyard.proxy;

import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Resolves upstream host names with the JVM's resolver (so the pod's {@code /etc/hosts} and
 * resolv.conf search list apply, as for the app) on threads of its own, never on an event loop:
 * Netty's default resolver calls {@code InetAddress} on the event loop, where one slow or timing
 * out DNS server would stall every connection that loop serves (all of them, with one worker
 * thread). The answer is delivered on the connection's own event loop.
 */
final class HostLookups extends AddressResolverGroup<InetSocketAddress> {
  /** What resolves one name; the JVM's resolver outside tests. */
  interface Lookup {
    InetAddress[] allByName(String host) throws UnknownHostException;
  }

  private static final int THREADS = 4;

  private final Lookup lookup;
  private final ExecutorService threads;

  HostLookups() {
    this(InetAddress::getAllByName);
  }

  HostLookups(Lookup lookup) {
    this.lookup = lookup;
    AtomicInteger count = new AtomicInteger();
    this.threads = Executors.newFixedThreadPool(THREADS, task -> {
      Thread thread = new Thread(task, "lanyard-dns-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  @Override
  protected AddressResolver<InetSocketAddress> newResolver(EventExecutor loop) {
    return new OffLoopResolver(loop).asAddressResolver();
  }

  @Override
  public void close() {
    super.close();
    threads.shutdownNow();
  }

  private final class OffLoopResolver extends InetNameResolver {
    OffLoopResolver(EventExecutor loop) {
      super(loop);
    }

    @Override
    protected void doResolve(String host, Promise<InetAddress> promise) {
      offLoop(promise, () -> lookup.allByName(host)[0]);
    }

    @Override
    protected void doResolveAll(String host, Promise<List<InetAddress>> promise) {
      offLoop(promise, () -> Arrays.asList(lookup.allByName(host)));
    }

    private <T> void offLoop(Promise<T> promise, Answer<T> answer) {
      try {
        threads.execute(() -> {
          try {
            promise.trySuccess(answer.get());
          } catch (Exception e) {
            promise.tryFailure(e);
          }
        });
      } catch (RejectedExecutionException e) {
        promise.tryFailure(e);
      }
    }
  }

  private interface Answer<T> {
    T get() throws Exception;
  }
}
