/**
 * Every schema the sandbox checks values against, compiled once.
 *
 * TypeBox's `Value.Errors` interprets a schema on each call and builds a `RegExp` for every
 * `pattern` it meets, every time: on the trigger's path that was most of its cost. A schema
 * compiled by `TypeCompiler` checks a value with generated code, its patterns built once. The
 * cache is keyed by the schema object itself, so any schema can be fed in (the API's request
 * bodies, the event catalog, the trigger's inputs, schemas derived from a spec) and each is
 * compiled the first time it is used. Only a value that fails is walked again, by the compiled
 * checker's `Errors`, to name the first problem.
 */
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { ValueError } from '@sinclair/typebox/value'

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>()

/** The compiled checker of `schema`, compiled on first use and kept as long as the schema lives. */
export function compiledSchema<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema)
  if (check === undefined) {
    check = TypeCompiler.Compile(schema)
    compiled.set(schema, check)
  }
  return check as TypeCheck<T>
}

/** The first place `value` breaks `schema`, or `undefined` when it fits. */
export function firstSchemaError(schema: TSchema, value: unknown): ValueError | undefined {
  const check = compiledSchema(schema)
  return check.Check(value) ? undefined : check.Errors(value).First()
}
