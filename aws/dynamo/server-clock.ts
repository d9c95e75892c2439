/**
 * The server's clock, as seen in the `Date` header of DynamoDB's responses. The live view asks
 * "what was written up to time T?" where T is compared with times the log processor (in AWS,
 * on AWS's clock) wrote: a laptop clock running a few seconds fast would make the view skip
 * writes forever. The header has one-second resolution and is truncated, so the estimate errs
 * early, which is the safe side.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function serverClock(client: DynamoDBClient, local: Clock = systemClock): Clock {
  // Offset of the server's clock from ours, from the latest response; 0 until one arrives.
  let offset = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string> } | undefined)?.headers;
      const date = headers?.["date"] ?? headers?.["Date"];
      const serverMs = date ? Date.parse(date) : NaN;
      if (Number.isFinite(serverMs)) offset = serverMs - local.now();
      return result;
    },
    { step: "build", name: "alignerServerClock", override: true },
  );
  return { now: () => local.now() + offset };
}
