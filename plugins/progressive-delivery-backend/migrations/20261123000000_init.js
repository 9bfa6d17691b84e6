// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('pd_decisions', table => {
    table.comment(
      'A decision a person made on a Flagger gate, bound to one revision of one canary',
    );
    table.bigIncrements('id');
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    table.string('revision', 512).notNullable();
    // One decision per slot and revision: `verdict` (promote or rollback), `start`, `traffic`.
    table.string('slot').notNullable();
    table.string('action').notNullable();
    table.string('decided_by').notNullable();
    table.string('decided_at').notNullable();
    table.text('comment').nullable();
    table.string('checksum').nullable();
    table.string('applied_at').nullable();
    table.unique(['cluster', 'namespace', 'name', 'revision', 'slot'], {
      indexName: 'pd_decisions_one_per_slot',
    });
  });
  await knex.schema.createTable('pd_action_attempts', table => {
    table.comment(
      'Every action a person tried, including refused and conflicting ones',
    );
    table.bigIncrements('id');
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    table.string('revision', 512).nullable();
    table.string('action').notNullable();
    table.string('actor').notNullable();
    table.text('comment').nullable();
    table.string('outcome').notNullable();
    table.text('message').nullable();
    table.string('at').notNullable();
    table.index(['cluster', 'namespace', 'name'], 'pd_action_attempts_canary');
  });
  await knex.schema.createTable('pd_rollouts', table => {
    table.comment('Every rollout of every canary, since Flagger keeps none');
    table.bigIncrements('id');
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    table.string('revision', 512).notNullable();
    table.text('images').notNullable();
    table.string('started_at').notNullable();
    table.string('ended_at').nullable();
    table.string('outcome').notNullable();
    table.text('failure_reason').nullable();
    table.unique(['cluster', 'namespace', 'name', 'revision'], {
      indexName: 'pd_rollouts_one_per_revision',
    });
  });
  await knex.schema.createTable('pd_flagger_events', table => {
    table.comment(
      'Calls of the Flagger event webhook, kept beyond the event TTL of Kubernetes',
    );
    table.bigIncrements('id');
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    table.string('phase').nullable();
    table.string('checksum').nullable();
    table.string('event_type').nullable();
    table.text('message').notNullable();
    table.string('at').notNullable();
    table.index(['cluster', 'namespace', 'name'], 'pd_flagger_events_canary');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('pd_flagger_events');
  await knex.schema.dropTable('pd_rollouts');
  await knex.schema.dropTable('pd_action_attempts');
  await knex.schema.dropTable('pd_decisions');
};
