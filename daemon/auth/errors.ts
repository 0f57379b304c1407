// Typed errors of the auth room. Messages name the cause and never carry key material.

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A parameter has the wrong length or form (the message names the parameter, not its value). */
export class AuthInputError extends AuthError {}
