import type { FastifyInstance } from "fastify";
import type { Accounts } from "../accounts.js";
import { UserAlreadyExistsError } from "../errors.js";
import { clientOf } from "../http/cookies.js";
import {
  type EmailPasswordBody,
  emailField,
  emailMessageResponse,
  errorResponse,
  fieldsBody,
  passwordField,
} from "../http/schemas.js";

export async function usersRoutes(
  app: FastifyInstance,
  { auth }: { auth: Accounts },
): Promise<void> {
  app.post<{ Body: EmailPasswordBody }>(
    "/users",
    {
      schema: {
        body: fieldsBody({ email: emailField, password: passwordField }),
        response: {
          200: emailMessageResponse,
          400: errorResponse,
          429: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      try {
        await auth.registerUser(email, password, clientOf(request));
      } catch (error) {
        // The contract fixes this body exactly, so it carries no error code.
        if (error instanceof UserAlreadyExistsError) {
          return reply.code(400).send({ message: "email already registered" });
        }
        throw error;
      }
      return { email, message: "user created" };
    },
  );
}
