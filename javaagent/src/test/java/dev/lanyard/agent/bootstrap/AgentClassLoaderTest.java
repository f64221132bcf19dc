package dev.lanyard.agent.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AgentClassLoaderTest {
  @Test
  void classResourcesMapToHiddenClassdataEntries() {
    assertThat(AgentClassLoader.entryName("net/bytebuddy/ByteBuddy.class"))
        .isEqualTo("inst/net/bytebuddy/ByteBuddy.classdata");
    assertThat(AgentClassLoader.entryName("/io/grpc/Grpc.class"))
        .isEqualTo("inst/io/grpc/Grpc.classdata");
  }

  @Test
  void otherResourcesKeepTheirNamesUnderInst() {
    assertThat(AgentClassLoader.entryName("META-INF/services/io.grpc.ManagedChannelProvider"))
        .isEqualTo("inst/META-INF/services/io.grpc.ManagedChannelProvider");
    assertThat(AgentClassLoader.entryName(
        "META-INF/native/libio_grpc_netty_shaded_netty_transport_native_epoll_x86_64.so"))
        .isEqualTo("inst/META-INF/native/libio_grpc_netty_shaded_netty_transport_native_epoll_x86_64.so");
  }
}
