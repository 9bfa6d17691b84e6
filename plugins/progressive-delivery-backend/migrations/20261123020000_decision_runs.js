// @ts-check

/**
 * Flagger's revision key repeats when a release brings back a pod template seen before (a revert),
 * so a decision must end with the rollout it was made for. A closed decision keeps its row (the
 * history shows it) but leaves the slot free: `epoch` is 0 while the decision is open and the row's
 * own id once closed, and uniqueness covers (canary, revision, slot, epoch). This works on every
 * database Backstage supports, unlike partial indexes.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('pd_decisions', table => {
    table.bigInteger('epoch').notNullable().defaultTo(0);
    table.string('closed_at').nullable();
    // An approve-rollout decision is bound to the revision shown while Waiting (the previous one);
    // this records the revision whose rollout it started, for the history.
    table.string('rollout_revision', 512).nullable();
  });
  await knex.schema.alterTable('pd_decisions', table => {
    table.dropUnique(
      ['cluster', 'namespace', 'name', 'revision', 'slot'],
      'pd_decisions_one_per_slot',
    );
    table.unique(
      ['cluster', 'namespace', 'name', 'revision', 'slot', 'epoch'],
      {
        indexName: 'pd_decisions_one_open_per_slot',
      },
    );
  });
  await knex.schema.alterTable('pd_rollouts', table => {
    // The newest "Halt advancement" reason Flagger reported, so a threshold rollback can say which check failed.
    table.text('last_halt_reason').nullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex('pd_decisions').whereNot('epoch', 0).delete();
  await knex.schema.alterTable('pd_rollouts', table => {
    table.dropColumn('last_halt_reason');
  });
  await knex.schema.alterTable('pd_decisions', table => {
    table.dropUnique(
      ['cluster', 'namespace', 'name', 'revision', 'slot', 'epoch'],
      'pd_decisions_one_open_per_slot',
    );
    table.unique(['cluster', 'namespace', 'name', 'revision', 'slot'], {
      indexName: 'pd_decisions_one_per_slot',
    });
  });
  await knex.schema.alterTable('pd_decisions', table => {
    table.dropColumn('rollout_revision');
    table.dropColumn('closed_at');
    table.dropColumn('epoch');
  });
};
