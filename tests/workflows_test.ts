/**
 * The GitHub workflows cannot run here, so this keeps them honest: they parse as YAML, every
 * script path and deno task they name exists, and the release builds, smoke-tests and publishes
 * exactly the binaries `deno task compile` makes.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { binaryPath, TARGETS } from "../scripts/compile.ts";

const root = new URL("../", import.meta.url);
const tasks = Object.keys(JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks);

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), `${what}`);
  return value as Json;
}

function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what} is not a list`);
  return value;
}

async function workflow(name: string): Promise<Json> {
  const text = await Deno.readTextFile(new URL(`.github/workflows/${name}`, root));
  return object(parse(text), `${name} is not a YAML mapping`);
}

/** Every step of every job of `flow`, with the job's name. */
function steps(flow: Json): { job: string; step: Json }[] {
  return Object.entries(object(flow.jobs, "jobs")).flatMap(([job, body]) =>
    list(object(body, `job ${job}`).steps, `steps of ${job}`).map((step) => ({
      job,
      step: object(step, `a step of ${job}`),
    }))
  );
}

/** The deno tasks a shell script runs. */
function taskNames(script: string): string[] {
  return [...script.matchAll(/\bdeno task ([\w-]+)/g)].map((m) => m[1]!);
}

/** The repository paths a shell script names (sources, scripts, tests, .ci). */
function repoPaths(script: string): string[] {
  return [...script.matchAll(/(?:\.\/)?((?:src|scripts|tests|bench|\.ci)\/[\w./-]*[\w-])/g)]
    .map((m) => m[1]!);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(new URL(path, root));
    return true;
  } catch (err: unknown) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

for (const name of ["ci.yml", "release.yml"]) {
  Deno.test(`${name}: every deno task and script path it names exists`, async () => {
    const flow = await workflow(name);
    assert.ok(flow.on !== undefined, `${name} has no trigger`);
    for (const { job, step } of steps(flow)) {
      assert.ok(step.run !== undefined || step.uses !== undefined, `${job}: a step does nothing`);
      const script = typeof step.run === "string" ? step.run : "";
      for (const task of taskNames(script)) {
        assert.ok(tasks.includes(task), `${name} (${job}) runs a missing task: deno task ${task}`);
      }
      for (const path of repoPaths(script)) {
        assert.ok(await exists(path), `${name} (${job}) names a missing file: ${path}`);
      }
      const uses = step.with === undefined ? {} : object(step.with, "with");
      for (const [key, value] of Object.entries(uses)) {
        if (key.endsWith("-file") && typeof value === "string") {
          assert.ok(await exists(value), `${name} (${job}) names a missing file: ${value}`);
        }
      }
    }
  });
}

Deno.test("ci.yml runs .ci/run on push", async () => {
  const flow = await workflow("ci.yml");
  assert.ok("push" in object(flow.on, "on"));
  assert.ok(steps(flow).some(({ step }) => step.run === "bash .ci/run"));
});

Deno.test("release.yml: on a v* tag, compiles, smoke-tests and sizes each of the five targets", async () => {
  const flow = await workflow("release.yml");
  const on = object(flow.on, "on");
  assert.deepEqual(object(on.push, "on.push").tags, ["v*"]);
  const jobs = object(flow.jobs, "jobs");
  const binary = object(jobs.binary, "the binary job");
  const matrix = list(
    object(object(binary.strategy, "strategy").matrix, "matrix").include,
    "matrix.include",
  ).map((entry) => object(entry, "a matrix entry"));
  assert.deepEqual(matrix.map((entry) => entry.target), [...TARGETS]);
  for (const entry of matrix) {
    assert.equal(entry.binary, binaryPath(entry.target as typeof TARGETS[number]));
  }
  assert.equal(new Set(matrix.map((entry) => entry.runner)).size, TARGETS.length);

  const runs = list(binary.steps, "steps").map((step) => String(object(step, "step").run ?? ""));
  const order = [
    "deno task compile --target ${{ matrix.target }}",
    "deno task smoke ${{ matrix.binary }}",
    "MAX_BINARY_MB",
  ].map((needle) => runs.findIndex((run) => run.includes(needle)));
  assert.ok(order.every((i) => i >= 0), "compile, smoke or the size check is missing");
  assert.deepEqual(order, [...order].sort((a, b) => a - b), "compile, then smoke, then size");
  assert.equal(object(flow.env, "env").MAX_BINARY_MB, 90);

  const publish = object(jobs.publish, "the publish job");
  assert.equal(publish.needs, "binary");
  const published = list(publish.steps, "steps").map((s) => String(object(s, "step").run ?? ""));
  assert.ok(published.some((run) => run.includes("sha256sum")), "no SHA-256 sums");
  assert.ok(published.some((run) => run.includes("gh release create")), "nothing is released");
});

Deno.test("the path and task scans find what a run step names", () => {
  const script =
    "deno task compile --target x\nbash .ci/run\ndeno eval 'import \"./src/version.ts\"'";
  assert.deepEqual(taskNames(script), ["compile"]);
  assert.deepEqual(repoPaths(script), [".ci/run", "src/version.ts"]);
});
