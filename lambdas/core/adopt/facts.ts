// What inspect-adoptable-etcd.sh found on a kubeadm control-plane host, as it prints it (ETCD_HA_ADOPT_FACTS=<json>):
// the static pod manifest's flags and image, etcd's own answers (JSON gateway: /version, member list, status; IDs
// and sizes as decimal strings), the data dir's size, the certificates' expiry and the CA key's type. No key material.
import { z } from 'zod';
import { parseOrThrow } from '../parse';

export const FACTS_LINE_PREFIX = 'ETCD_HA_ADOPT_FACTS=';

const decimal = z.union([z.string().regex(/^[0-9]+$/), z.number().int().nonnegative()]).transform(String);

const GatewayMemberSchema = z.object({
  ID: decimal,
  name: z.string().default(''),
  peerURLs: z.array(z.string()).default([]),
  clientURLs: z.array(z.string()).default([]),
  isLearner: z.boolean().default(false),
});

export const AdoptFactsSchema = z.object({
  format: z.literal(1),
  manifest: z.object({ path: z.string().min(1), image: z.string().default(''), flags: z.record(z.string(), z.string()) }),
  version: z.object({ etcdserver: z.string().min(1), etcdcluster: z.string().optional() }),
  memberList: z.object({ members: z.array(GatewayMemberSchema).default([]) }),
  status: z.object({
    header: z.object({ member_id: decimal.optional(), cluster_id: decimal.optional() }).default({}),
    dbSize: decimal.optional(),
    leader: decimal.optional(),
  }),
  dataDirBytes: z.number().int().nonnegative(),
  certificates: z.array(
    z.object({ file: z.string().min(1), present: z.boolean(), notAfter: z.string().optional(), commonName: z.string().optional() }),
  ),
  caKey: z.object({ present: z.boolean(), type: z.string().optional(), bits: z.number().int().nullable().optional() }),
});

export type AdoptFacts = z.output<typeof AdoptFactsSchema>;

/** The facts from the inspect script's stdout: its last ETCD_HA_ADOPT_FACTS= line. */
export function parseAdoptFacts(stdout: string): AdoptFacts {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(FACTS_LINE_PREFIX));
  if (line === undefined) throw new SyntaxError(`the inspect script printed no ${FACTS_LINE_PREFIX} line`);
  let json: unknown;
  try {
    json = JSON.parse(line.slice(FACTS_LINE_PREFIX.length));
  } catch (error) {
    throw new SyntaxError(`the inspect script's ${FACTS_LINE_PREFIX} line is not JSON: ${(error as Error).message}`);
  }
  return parseOrThrow(AdoptFactsSchema, json, 'adopt facts');
}
