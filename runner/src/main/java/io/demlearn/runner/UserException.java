package io.demlearn.runner;

/**
 * A problem the user can fix (bad input, a missing file, a busy port): reported without a stack
 * trace.
 */
final class UserException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UserException(String message) {
    super(message);
  }

  UserException(String message, Throwable cause) {
    super(message, cause);
  }
}
