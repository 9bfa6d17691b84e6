// @ts-check

/**
 * Flagger resets weight, iterations and failed checks when a canary fails, so the rollout record
 * keeps the furthest each got while the run was watched. `pd_notices` makes a notification go out
 * once per canary, revision and state across replicas: the replica whose insert wins sends it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('pd_rollouts', table => {
    table.integer('reached_weight').nullable();
    table.integer('reached_iterations').nullable();
    table.integer('failed_checks').nullable();
  });
  await knex.schema.createTable('pd_notices', table => {
    table.comment(
      'Notifications sent, one per canary, revision and state, also with several replicas',
    );
    table.bigIncrements('id');
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    // sha256 of the revision key (and, while Waiting, of the images waiting to start).
    table.string('revision_hash', 64).notNullable();
    table.string('state').notNullable();
    table.string('sent_at').notNullable();
    table.unique(['cluster', 'namespace', 'name', 'revision_hash', 'state'], {
      indexName: 'pd_notices_once',
    });
    table.index(['sent_at'], 'pd_notices_sent_at');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('pd_notices');
  await knex.schema.alterTable('pd_rollouts', table => {
    table.dropColumn('failed_checks');
    table.dropColumn('reached_iterations');
    table.dropColumn('reached_weight');
  });
};
