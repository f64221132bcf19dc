package dev.lanyard.webhook.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the serving certificate when its files change (cert-manager rotating the Secret). Polls
 * the files' content rather than watching the directory: a mounted Secret changes by an atomic swap
 * of symlinks, which file watchers report unreliably. A pair that does not load (caught
 * mid-rotation, key and certificate from different versions) keeps the old one in service and is
 * tried again next time.
 */
public final class CertificateReloader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CertificateReloader.class);

  private final Path certificateFile;
  private final Path keyFile;
  private final SslContextFactory.Server ssl;
  private final ScheduledExecutorService scheduler;
  private byte[] loadedDigest;
  private volatile int reloads;

  /** Loads the files now (failing loudly if they are unusable) and installs them in {@code ssl}. */
  public CertificateReloader(Path certificateFile, Path keyFile, SslContextFactory.Server ssl) {
    this.certificateFile = certificateFile;
    this.keyFile = keyFile;
    this.ssl = ssl;
    this.loadedDigest = digest();
    ssl.setKeyStore(PemKeyStores.load(certificateFile, keyFile));
    ssl.setKeyStorePassword(new String(PemKeyStores.PASSWORD));
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "lanyard-cert-reload");
              thread.setDaemon(true);
              return thread;
            });
  }

  public void start(Duration interval) {
    scheduler.scheduleWithFixedDelay(
        this::checkNow, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Reloads if the files changed since the last successful load; true if it reloaded. */
  public synchronized boolean checkNow() {
    byte[] current;
    try {
      current = digest();
    } catch (InvalidTlsFilesException e) {
      LOG.warn(
          "cannot read the serving certificate files, keeping the current ones: {}",
          e.getMessage());
      return false;
    }
    if (Arrays.equals(current, loadedDigest)) {
      return false;
    }
    try {
      KeyStore store = PemKeyStores.load(certificateFile, keyFile);
      ssl.reload(factory -> factory.setKeyStore(store));
      loadedDigest = current;
      reloads++;
      LOG.info("reloaded the serving certificate from {} and {}", certificateFile, keyFile);
      return true;
    } catch (Exception e) {
      LOG.warn(
          "the serving certificate files changed but do not load yet, keeping the current"
              + " ones and trying again: {}",
          e.getMessage());
      return false;
    }
  }

  public int reloads() {
    return reloads;
  }

  private byte[] digest() {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(Files.readAllBytes(certificateFile));
      sha256.update((byte) 0);
      sha256.update(Files.readAllBytes(keyFile));
      return sha256.digest();
    } catch (IOException e) {
      throw new InvalidTlsFilesException(
          "cannot read " + certificateFile + " or " + keyFile + ": " + e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
