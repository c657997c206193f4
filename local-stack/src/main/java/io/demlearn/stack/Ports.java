package io.demlearn.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/** Loopback ports. */
public final class Ports {
  private Ports() {}

  /**
   * The requested ports, with every 0 replaced by a free port; the free ports are taken while the
   * others are held open, so they differ from each other and from the requested ones.
   */
  public static int[] resolve(int... requested) {
    for (int p : requested) {
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException("port " + p + " is outside 0..65535");
      }
    }
    int[] out = requested.clone();
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < out.length; i++) {
        if (out[i] != 0) {
          continue;
        }
        while (true) {
          ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
          held.add(socket);
          int port = socket.getLocalPort();
          boolean clash = false;
          for (int r : requested) {
            clash |= r == port;
          }
          if (!clash) {
            out[i] = port;
            break;
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find free loopback ports", e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // released anyway when the process ends
        }
      }
    }
  }

  /** Whether something accepts connections on the loopback interface at {@code port}. */
  public static boolean isListening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
