package dev.lanyard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.resolver.AddressResolver;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HostLookupsTest {
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoop loop = group.next();
  private final CountDownLatch slowDnsAnswers = new CountDownLatch(1);
  private final OffLoopWork work = new OffLoopWork();
  private final HostLookups lookups = new HostLookups(work, host -> {
    if (host.equals("slow.ai-agents.svc")) {
      try {
        slowDnsAnswers.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UnknownHostException(host + ": interrupted");
      }
      return new InetAddress[] {InetAddress.getByAddress(host, new byte[] {10, 0, 0, 7})};
    }
    if (host.equals("gone.ai-agents.svc")) {
      throw new UnknownHostException(host + ": Name or service not known");
    }
    return new InetAddress[] {InetAddress.getByAddress(host, new byte[] {10, 0, 0, 8})};
  });

  @AfterEach
  void stop() {
    slowDnsAnswers.countDown();
    lookups.close();
    work.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  @Test
  void aSlowLookupDoesNotStallTheEventLoopOrOtherLookups() throws Exception {
    AddressResolver<InetSocketAddress> resolver = lookups.getResolver(loop);
    // Asked on the event loop, as Bootstrap does when it connects; a resolver that looked the
    // name up right there would hold the loop, and this get() would time out.
    Future<InetSocketAddress> slow = loop.submit(() -> resolver.resolve(
        InetSocketAddress.createUnresolved("slow.ai-agents.svc", 8443))).get(2, TimeUnit.SECONDS);

    // While the DNS server sits on that name, the loop still runs its other work...
    assertThat(loop.submit(() -> "served").get(2, TimeUnit.SECONDS)).isEqualTo("served");
    // ...and another connection's name resolves.
    Future<InetSocketAddress> fast = resolver.resolve(
        InetSocketAddress.createUnresolved("classifier.ai-agents.svc", 8443));
    assertThat(fast.await(2, TimeUnit.SECONDS)).isTrue();
    assertThat(fast.getNow().getAddress().getHostAddress()).isEqualTo("10.0.0.8");
    assertThat(fast.getNow().getPort()).isEqualTo(8443);
    assertThat(slow.isDone()).isFalse();

    AtomicBoolean answeredOnTheLoop = new AtomicBoolean();
    CountDownLatch answered = new CountDownLatch(1);
    slow.addListener(done -> {
      answeredOnTheLoop.set(loop.inEventLoop());
      answered.countDown();
    });
    slowDnsAnswers.countDown();
    assertThat(answered.await(2, TimeUnit.SECONDS)).isTrue();
    assertThat(slow.getNow().getAddress().getHostAddress()).isEqualTo("10.0.0.7");
    assertThat(answeredOnTheLoop).isTrue();
  }

  @Test
  void anUnknownNameFailsWithTheResolversReason() throws Exception {
    Future<InetSocketAddress> gone = lookups.getResolver(loop).resolve(
        InetSocketAddress.createUnresolved("gone.ai-agents.svc", 8443));
    assertThat(gone.await(2, TimeUnit.SECONDS)).isTrue();
    assertThat(gone.cause()).isInstanceOf(UnknownHostException.class)
        .hasMessageContaining("gone.ai-agents.svc");
  }
}
