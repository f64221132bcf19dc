package dev.lanyard.agent;

import dev.lanyard.tls.JwtSender;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * Adds {@code Authorization: Bearer <JWT-SVID>} to outbound requests of the four HTTP clients the
 * javaagent hooks, under {@link JwtSender}'s rules (matching host, HTTPS only, never over the
 * application's own Authorization header, one audit record per token sent). The clients' own
 * types live in the application's class loaders, so they are reached through their public API by
 * reflection (methods looked up once per class); the JDK's through its public API directly.
 */
final class JwtRequestHeaders {
  private static final String AUTHORIZATION = "Authorization";

  private final JwtSender sender;

  JwtRequestHeaders(JwtSender sender) {
    this.sender = sender;
  }

  private boolean enabled() {
    return sender != null && sender.enabled();
  }

  // ---- JDK java.net.http.HttpClient (HttpClientImpl.sendAsync) ----

  Object jdkHttpRequest(Object request) throws Exception {
    if (!enabled() || !(request instanceof HttpRequest)) {
      return request;
    }
    HttpRequest http = (HttpRequest) request;
    URI uri = http.uri();
    boolean https = "https".equalsIgnoreCase(uri.getScheme());
    Optional<String> value = sender.authorizationFor(uri.getHost(),
        port(uri.getPort(), https), https,
        http.headers().firstValue(AUTHORIZATION).isPresent(), "jdk-httpclient");
    return value.isPresent() ? withHeader(http, value.get()) : request;
  }

  /** A copy of {@code request} with the header (JDK 16+: the JDK's own copying builder). */
  private HttpRequest withHeader(HttpRequest request, String value) throws Exception {
    HttpRequest.Builder builder;
    Method copying = method(HttpRequest.class, "newBuilder", HttpRequest.class, BiPredicate.class);
    if (copying != null) {
      BiPredicate<String, String> all = (name, v) -> true;
      builder = (HttpRequest.Builder) copying.invoke(null, request, all);
    } else {
      builder = HttpRequest.newBuilder(request.uri())
          .method(request.method(),
              request.bodyPublisher().orElse(HttpRequest.BodyPublishers.noBody()))
          .expectContinue(request.expectContinue());
      request.timeout().ifPresent(builder::timeout);
      request.version().ifPresent(builder::version);
      HttpRequest.Builder copy = builder;
      request.headers().map().forEach((name, values) -> values.forEach(v -> copy.header(name, v)));
    }
    return builder.header(AUTHORIZATION, value).build();
  }

  // ---- HttpsURLConnection (sun.net.www.protocol.http.HttpURLConnection.writeRequests) ----

  void urlConnectionHeaders(URL url, Object requestHeaders) throws Exception {
    if (!enabled()) {
      return;
    }
    Class<?> type = requestHeaders.getClass();
    boolean has = call(requestHeaders, method(type, "findValue", String.class), AUTHORIZATION)
        != null;
    boolean https = "https".equalsIgnoreCase(url.getProtocol());
    Optional<String> value = sender.authorizationFor(url.getHost(),
        port(url.getPort(), https), https, has, "https-url-connection");
    if (value.isPresent()) {
      call(requestHeaders, method(type, "set", String.class, String.class), AUTHORIZATION,
          value.get());
    }
  }

  // ---- OkHttp (okhttp3.internal.connection.Exchange.writeRequestHeaders) ----

  Object okHttpRequest(Object request) throws Exception {
    if (!enabled()) {
      return request;
    }
    Class<?> type = request.getClass();
    Object url = call(request, method(type, "url"));
    Class<?> urlType = url.getClass();
    String host = (String) call(url, method(urlType, "host"));
    int port = (Integer) call(url, method(urlType, "port"));
    boolean https = (Boolean) call(url, method(urlType, "isHttps"));
    boolean has = call(request, method(type, "header", String.class), AUTHORIZATION) != null;
    Optional<String> value = sender.authorizationFor(host, port, https, has, "okhttp");
    if (!value.isPresent()) {
      return request;
    }
    Object builder = call(request, method(type, "newBuilder"));
    Class<?> builderType = builder.getClass();
    call(builder, method(builderType, "header", String.class, String.class), AUTHORIZATION,
        value.get());
    return call(builder, method(builderType, "build"));
  }

  // ---- Apache HttpClient 5 classic (core5 HttpRequestExecutor.execute) ----

  Object apacheRequest(Object request, Object connection) throws Exception {
    if (!enabled()) {
      return null;
    }
    ClassLoader loader = request.getClass().getClassLoader();
    Class<?> httpRequest = Class.forName("org.apache.hc.core5.http.HttpRequest", false, loader);
    Class<?> headers = Class.forName("org.apache.hc.core5.http.MessageHeaders", false, loader);
    Class<?> connectionType =
        Class.forName("org.apache.hc.core5.http.HttpConnection", false, loader);
    Object authority = call(request, method(httpRequest, "getAuthority"));
    if (authority == null) {
      return null;
    }
    String scheme = (String) call(request, method(httpRequest, "getScheme"));
    String host = (String) call(authority, method(authority.getClass(), "getHostName"));
    int port = (Integer) call(authority, method(authority.getClass(), "getPort"));
    // Both: an https:// request on a connection that really is TLS.
    boolean tls = connectionType.isInstance(connection)
        && call(connection, method(connectionType, "getSSLSession")) != null;
    boolean https = "https".equalsIgnoreCase(scheme) && tls;
    boolean has = (Boolean) call(request, method(headers, "containsHeader", String.class),
        AUTHORIZATION);
    Optional<String> value = sender.authorizationFor(host, port(port, https), https, has,
        "apache-httpclient5");
    if (!value.isPresent()) {
      return null;
    }
    Class<?> headerType = Class.forName("org.apache.hc.core5.http.Header", false, loader);
    Object header = Class.forName("org.apache.hc.core5.http.message.BasicHeader", false, loader)
        .getConstructor(String.class, Object.class).newInstance(AUTHORIZATION, value.get());
    Class<?> message = Class.forName("org.apache.hc.core5.http.HttpMessage", false, loader);
    call(request, method(message, "addHeader", headerType), header);
    return header;
  }

  void apacheRequestDone(Object request, Object header) throws Exception {
    ClassLoader loader = request.getClass().getClassLoader();
    Class<?> message = Class.forName("org.apache.hc.core5.http.HttpMessage", false, loader);
    Class<?> headerType = Class.forName("org.apache.hc.core5.http.Header", false, loader);
    call(request, method(message, "removeHeader", headerType), header);
  }

  // ---- helpers ----

  private static int port(int port, boolean https) {
    return port >= 0 ? port : https ? 443 : 80;
  }

  /** A public method of {@code type}, looked up once per class; null when it does not exist. */
  private static Method method(Class<?> type, String name, Class<?>... parameters) {
    Map<String, Optional<Method>> known = METHODS.get(type);
    String key = name + "/" + parameters.length;
    Optional<Method> found = known.get(key);
    if (found == null) {
      try {
        found = Optional.of(type.getMethod(name, parameters));
      } catch (NoSuchMethodException e) {
        found = Optional.empty();
      }
      known.put(key, found);
    }
    return found.orElse(null);
  }

  /** Per class (no leak of the application's class loaders): method name/arity to method. */
  private static final ClassValue<Map<String, Optional<Method>>> METHODS =
      new ClassValue<Map<String, Optional<Method>>>() {
        @Override
        protected Map<String, Optional<Method>> computeValue(Class<?> type) {
          return new ConcurrentHashMap<>();
        }
      };

  private static Object call(Object target, Method method, Object... arguments) throws Exception {
    if (method == null) {
      throw new NoSuchMethodException("a method of " + target.getClass().getName());
    }
    return method.invoke(target, arguments);
  }
}
