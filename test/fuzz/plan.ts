/**
 * Who the fuzzer sends each route as, and which real ids it may aim at: anonymous for every route,
 * plus one signed-in person who passes the route's guard — a county-wide admin or county
 * dispatcher (broad rights), or a citizen on citizen routes — so hostile input reaches the
 * validation and the services, not only the sign-in check.
 */
import { systemActor } from '../../server/authz/actor.ts';
import { roleCan } from '../../server/authz/permissions.ts';
import { createUser } from '../../server/modules/users/users.service.ts';
import type { TestEnv } from '../context.ts';
import { COUNTY, createCentre, PASSWORD } from '../factories.ts';
import { knownId } from '../matrix/requests.ts';
import type { Route } from '../matrix/routes.ts';
import { buildWorld, type Session, signInStaff, type World } from '../matrix/world.ts';
import type { Caller, FuzzPlan } from './runner.ts';

export interface FuzzWorld extends World {
  countyAdmin: Session;
  countyDispatcher: Session;
}

/** The matrix's two townships, plus an admin at the county and a dispatcher at the county centre. */
export async function fuzzWorld(env: TestEnv): Promise<FuzzWorld> {
  const world = await buildWorld(env);
  const person = async (role: 'admin' | 'county_dispatcher', orgId: string) => {
    const username = `fuzz${role.replace(/_/g, '')}`;
    const { id } = await createUser(env.ctx, systemActor(COUNTY), {
      username,
      displayName: `模糊测试 ${role}`,
      role,
      orgId,
      password: PASSWORD,
    });
    return signInStaff(env, username, id);
  };
  return {
    ...world,
    countyAdmin: await person('admin', COUNTY),
    countyDispatcher: await person('county_dispatcher', await createCentre(env.ctx, COUNTY)),
  };
}

export function fuzzPlan(world: FuzzWorld): FuzzPlan {
  const anonymous: Caller = { name: 'anonymous', session: null };
  const admin: Caller = { name: 'admin', session: world.countyAdmin };
  const dispatcher: Caller = { name: 'county_dispatcher', session: world.countyDispatcher };
  const citizen: Caller = { name: 'citizen', session: world.actors.citizen };
  return {
    callersFor(route: Route): Caller[] {
      const access = route.access;
      // Signing out would end the session the other routes use.
      if (route.key === 'POST /api/auth/logout') return [anonymous];
      if (!access || access.who === 'public') return [anonymous, dispatcher];
      if (access.who === 'citizen') return [anonymous, citizen];
      if (access.who === 'signed_in') return [anonymous, dispatcher];
      const p = access.permission;
      if (!p || roleCan('county_dispatcher', p)) return [anonymous, dispatcher];
      return [anonymous, roleCan('admin', p) ? admin : dispatcher];
    },
    knownParam(route: Route, name: string): string[] {
      const id = knownId(world, route, name, 'county_dispatcher');
      return id ? [id] : [];
    },
  };
}
