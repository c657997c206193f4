package io.demlearn.runner;

import io.demlearn.schemas.security.Role;
import java.nio.file.Path;
import java.util.Map;

/**
 * The client-config files of a command: its own ({@code --client-config}, or null), and those of
 * the services it starts, by role (where none is known for a role, the command's own).
 */
record ConfigFiles(Path own, Map<Role, Path> roles) {
  ConfigFiles {
    roles = Map.copyOf(roles);
  }

  /** The file of a service of {@code role}, or null if there is none. */
  Path of(Role role) {
    Path file = roles.get(role);
    return file != null ? file.toAbsolutePath() : own == null ? null : own.toAbsolutePath();
  }

  /** The role whose file {@code file} is by its name ({@code <role>.properties}), for messages. */
  static String roleOf(Path file) {
    String name = file.getFileName().toString();
    return name.endsWith(".properties") ? name.substring(0, name.length() - 11) : name;
  }
}
