package dev.lanyard.proxy;

import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.PromiseNotifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Resolves upstream host names with the JVM's resolver (so the pod's {@code /etc/hosts} and
 * resolv.conf search list apply, as for the app) on {@link OffLoopWork}'s threads, never on an
 * event loop: Netty's default resolver calls {@code InetAddress} on the event loop, where one slow
 * or timing out DNS server would stall every connection that loop serves (all of them, with one
 * worker thread). The answer is delivered on the connection's own event loop.
 */
final class HostLookups extends AddressResolverGroup<InetSocketAddress> {
  /** What resolves one name; the JVM's resolver outside tests. */
  interface Lookup {
    InetAddress[] allByName(String host) throws UnknownHostException;
  }

  private final OffLoopWork work;
  private final Lookup lookup;

  HostLookups(OffLoopWork work) {
    this(work, InetAddress::getAllByName);
  }

  HostLookups(OffLoopWork work, Lookup lookup) {
    this.work = work;
    this.lookup = lookup;
  }

  @Override
  protected AddressResolver<InetSocketAddress> newResolver(EventExecutor loop) {
    return new OffLoopResolver(loop).asAddressResolver();
  }

  private final class OffLoopResolver extends InetNameResolver {
    OffLoopResolver(EventExecutor loop) {
      super(loop);
    }

    @Override
    protected void doResolve(String host, Promise<InetAddress> promise) {
      PromiseNotifier.cascade(work.submit(executor(), () -> lookup.allByName(host)[0]), promise);
    }

    @Override
    protected void doResolveAll(String host, Promise<List<InetAddress>> promise) {
      PromiseNotifier.cascade(work.submit(executor(),
          () -> Arrays.asList(lookup.allByName(host))), promise);
    }
  }
}
