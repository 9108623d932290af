-- Run by `citus-distribute` (docker-compose.yml, profile citus) on the
-- coordinator, after `citus-migrate` has migrated the schema there: the
-- distribution plan of docs/scaling.md ("Distribution by district").
SELECT citus_set_coordinator_host('citus-coordinator', 5432);
SELECT citus_add_node('citus-worker-1', 5432);
SELECT citus_add_node('citus-worker-2', 5432);
SELECT create_reference_table('district');
SELECT create_reference_table('department');
SELECT create_distributed_table('data_file', 'district_id');
SELECT create_distributed_table('data_field', 'district_id', colocate_with => 'data_file');
SELECT create_distributed_table('data_version', 'district_id', colocate_with => 'data_file');
SELECT create_distributed_table('data_record', 'district_id', colocate_with => 'data_file');
SELECT create_distributed_table('permission', 'district_id', colocate_with => 'data_file');
SELECT create_distributed_table('permission_review', 'district_id', colocate_with => 'data_file');
SELECT create_distributed_table('permission_grantee_version', 'district_id', colocate_with => 'data_file');
SELECT create_distributed_table('file_listing_version', 'district_id', colocate_with => 'data_file');
SELECT create_distributed_table('exchange', 'district_id', colocate_with => 'data_file');
