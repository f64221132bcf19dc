/**
 * Ordinary JVM HTTPS and gRPC programs, with no Lanyard dependency, for running under the Lanyard
 * javaagent in real child JVMs. Each uses TLS the way ordinary applications use its library, and
 * reports the identity (certificate URI SAN, a SPIFFE ID under Lanyard) it saw of its peer, through
 * that library's own API.
 *
 * <h2>Starting one</h2>
 *
 * <pre>
 * cd compat-apps   # after ./mvnw -pl compat-apps -am install
 * java [-javaagent:../javaagent/target/lanyard-javaagent.jar] \
 *     -cp target/classes:$(cat target/classpath.txt) dev.lanyard.compat.&lt;App&gt; [options]
 * </pre>
 *
 * <p>The isolation app lives in {@code compat-apps-isolation/} (same package, its own
 * {@code target/classpath.txt}), because it needs other library versions than this module.
 *
 * <h2>TLS options (every app)</h2>
 *
 * <table>
 *   <caption>TLS options</caption>
 *   <tr><th>option</th><th>meaning</th></tr>
 *   <tr><td>{@code --tls default}</td><td>(the default) the library's idiomatic "default JVM TLS",
 *       no key or trust material named by the app: what the javaagent must turn into SPIFFE mTLS.
 *       Servers need client certificates. Without the javaagent the JVM's
 *       {@code javax.net.ssl.keyStore}/{@code trustStore} properties apply wherever the library
 *       uses JVM defaults (all servers; of the clients, the two JDK ones).</td></tr>
 *   <tr><td>{@code --tls keystore}</td><td>the classic setup: {@code --keystore file.p12} (server
 *       key, or client key for mTLS), {@code --truststore file.p12} (servers: clients' CA, and
 *       client certificates are then required; clients: the servers' CA, else the JVM default
 *       trust store), {@code --password pw} for both (default {@code changeit}).</td></tr>
 *   <tr><td>{@code --tls plain}</td><td>no TLS (benchmark baseline); clients need an
 *       {@code http://} URL.</td></tr>
 *   <tr><td>{@code --ssl-provider jdk|openssl}</td><td>Netty-based apps only (Netty server,
 *       reactor-netty, gRPC): force Netty's TLS provider. Without it Netty chooses, which is
 *       OpenSSL here since tcnative (BoringSSL) is on the class path. For gRPC it also switches
 *       from the credentials API to the classic {@code GrpcSslContexts} one.</td></tr>
 * </table>
 *
 * <h2>Servers</h2>
 *
 * <p>Options: {@code --port N} (0, the default, picks a free port), {@code --bind address}
 * (default {@code 0.0.0.0}), {@code --client-auth need|none|parameters} and the TLS options.
 * {@code need} (the default) asks the library for client certificates as the table says;
 * {@code none} sets the server up as a one-way TLS service, client authentication left at the
 * library's default (the JDK {@code HttpsServer} gets a plain {@code new HttpsConfigurator(context)});
 * {@code parameters} gives the JDK {@code HttpsServer} a configurator that applies the context's
 * default {@code SSLParameters} (other servers: as {@code none}). Under the javaagent all three
 * must demand the client's SVID. Each prints {@code LISTENING port=<n>} on stdout
 * when it accepts connections, answers every request with the body
 * {@code peer=<URI SAN of the client certificate, or none>}, and logs every failure, failed TLS
 * handshakes included, as one {@code ERROR ...} line on stderr.
 *
 * <table>
 *   <caption>Server apps</caption>
 *   <tr><th>class</th><th>library, TLS setup</th><th>peer read from</th></tr>
 *   <tr><td>{@link dev.lanyard.compat.JdkHttpsServerApp}</td><td>JDK {@code HttpsServer},
 *       {@code HttpsConfigurator} over an {@code SSLContext} ({@code SSLContext.getDefault()} in
 *       default mode), need client auth</td><td>{@code HttpsExchange.getSSLSession()}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.JettyServerApp}</td><td>Jetty 12, ee10 servlet,
 *       {@code SslContextFactory.Server} (key store paths; {@code setSslContext(SSLContext
 *       .getDefault())} in default mode)</td><td>servlet attribute
 *       {@code jakarta.servlet.request.X509Certificate}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.TomcatServerApp}</td><td>embedded Tomcat 10.1 (NIO),
 *       {@code SSLHostConfig} with key store files; default mode hands it the JVM default
 *       {@code SSLContext}</td><td>servlet attribute
 *       {@code jakarta.servlet.request.X509Certificate}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.NettyServerApp}</td><td>Netty 4.2 HTTP/1.1,
 *       {@code SslContextBuilder.forServer(KeyManagerFactory)} (default-algorithm factories in
 *       default mode), {@code ClientAuth.REQUIRE}</td><td>{@code SslHandler.engine()
 *       .getSession()}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.GrpcServerApp}</td><td>gRPC-java on unshaded grpc-netty,
 *       {@code TlsServerCredentials} with {@code ClientAuth.REQUIRE}; service
 *       {@code lanyard.compat.Peer/Whoami} ({@link dev.lanyard.compat.PeerService})</td><td>
 *       {@code Grpc.TRANSPORT_ATTR_SSL_SESSION} in a {@code ServerInterceptor}</td></tr>
 * </table>
 *
 * <p>{@link dev.lanyard.compat.GrpcHealthServerApp} is no TLS server: a plaintext gRPC-java server
 * with only the standard health service (grpc-services' {@code HealthStatusManager}), whose
 * statuses a test changes through a loopback control port, for the kubelet's {@code grpc} probes
 * on a strict upgraded port ({@code AppProbesGrpcStrictIT}).
 *
 * <h2>Clients</h2>
 *
 * <p>Options: {@code --url https://host:port/path} ({@link dev.lanyard.compat.GrpcClientApp}:
 * {@code --target host:port}), {@code --requests N} (default 1; 0 runs until killed),
 * {@code --interval-ms M} (pause per thread between requests, default 0), {@code --concurrency C}
 * (threads, default 1), {@code --timeout-ms T} (default 30000), {@code --new-connection-per-request}
 * (a fresh client or connection, so a full handshake, per request) and the TLS options. Output (see
 * {@link dev.lanyard.compat.ClientRunner}): per request
 * {@code OK status=<code> server_peer=<URI SAN of the server certificate, or none> body=<body>} or
 * {@code FAIL <exception class>: <message> (root cause <class>: <message>)}, then
 * {@code SUMMARY ok=<n> failed=<m> p50_us=<..> p99_us=<..> elapsed_ms=<..> per_second=<..>}
 * (also when killed). Exit code 0 when nothing failed, 1 otherwise, 2 for a bad command line.
 *
 * <table>
 *   <caption>Client apps</caption>
 *   <tr><th>class</th><th>default mode</th><th>keystore mode</th><th>server peer read from</th>
 *   </tr>
 *   <tr><td>{@link dev.lanyard.compat.JdkHttpClientApp}</td>
 *       <td>{@code HttpClient.newHttpClient()}</td><td>{@code HttpClient.newBuilder()
 *       .sslContext(..)}</td><td>{@code HttpResponse.sslSession()}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.HttpsUrlConnectionApp}</td><td>{@code URL.openConnection()}
 *       </td><td>{@code setSSLSocketFactory(..)} per connection</td><td>
 *       {@code HttpsURLConnection.getServerCertificates()}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.ApacheHttpClientApp}</td><td>TLS of
 *       {@code HttpClients.createDefault()} (pool sized to {@code --concurrency})</td><td>
 *       {@code ClientTlsStrategyBuilder.setSslContext(..)}</td><td>{@code HttpClientContext
 *       .getSSLSession()}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.ApacheHttpClient4App}</td><td>TLS of
 *       {@code HttpClients.custom()} (4.5.x; pool sized to {@code --concurrency})</td><td>
 *       {@code new SSLConnectionSocketFactory(sslContext)}</td><td>the connection's
 *       {@code ManagedHttpClientConnection.getSSLSession()}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.OkHttpClientApp}</td><td>{@code new OkHttpClient()}</td>
 *       <td>{@code sslSocketFactory(factory, trustManager)}</td><td>
 *       {@code Response.handshake().peerCertificates()}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.ReactorNettyClientApp}</td><td>
 *       {@code HttpClient.create().secure()}</td><td>{@code secure(spec -> spec.sslContext(
 *       Http11SslContextSpec.forClient()..))}</td><td>the connection's {@code SslHandler}</td></tr>
 *   <tr><td>{@link dev.lanyard.compat.GrpcClientApp}</td><td>
 *       {@code NettyChannelBuilder.forTarget(target, TlsChannelCredentials.create())}</td><td>
 *       {@code TlsChannelCredentials.newBuilder().keyManager(..).trustManager(..)}</td><td>call
 *       attributes, {@code Grpc.TRANSPORT_ATTR_SSL_SESSION} (status printed: {@code OK})</td></tr>
 * </table>
 *
 * <h2>Client-auth probe</h2>
 *
 * <p>{@link dev.lanyard.compat.ClientAuthProbeApp} {@code --plain-ports A,B} sets up SSLEngines,
 * SSLServerSockets, accepted and layered SSLSockets every way an application can leave client
 * authentication off (setters, {@code SSLParameters}, in either order), makes no handshake, and
 * prints {@code CASE <name> need=<true|false>} for each, then {@code CASES <n>}.
 *
 * <h2>Isolation app ({@code compat-apps-isolation/})</h2>
 *
 * <p>{@code dev.lanyard.compat.IsolationApp} bundles other versions than Lanyard's of gRPC (1.6x),
 * Netty (4.1, with its epoll native library), protobuf (3.x), Guava, ByteBuddy (1.14) and SLF4J
 * (1.7). It prints {@code LOADED library=<name> version=<v> jar=<file>} per library (and
 * {@code LOADED library=netty-epoll version=<v> available=<bool>}), uses each once
 * ({@code USED ...}), then calls {@code --url} with the JDK {@code HttpClient} and, with
 * {@code --grpc-target host:port}, {@code GrpcServerApp} through its own gRPC; the client options
 * and output are those above (one {@code SUMMARY} per call kind).
 */
package dev.lanyard.compat;
