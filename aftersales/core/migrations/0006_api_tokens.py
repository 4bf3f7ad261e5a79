"""Hashed, expiring API tokens replace DRF's ``authtoken`` keys, which were stored in clear.

The old keys cannot be turned into the new rows (a new token must be shown to its client once), and
a table of live credentials in clear is exactly what should not survive: ``authtoken_token`` is
dropped, with the app's migration records, content type and permissions. Clients log in again
(``POST /api/v1/auth/token/``) and get a new token.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.migrations.recorder import MigrationRecorder


def drop_drf_plaintext_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        schema_editor.execute("DROP TABLE authtoken_token")
    # So that installing rest_framework.authtoken again (nobody should) would create its table anew.
    MigrationRecorder(connection).migration_qs.filter(app="authtoken").delete()
    apps.get_model("contenttypes", "ContentType").objects.using(connection.alias).filter(
        app_label="authtoken"
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_append_only_event_tables'),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('login', 'Logged in'), ('login_failed', 'Login failed'), ('logout', 'Logged out'), ('locked_out', 'Locked out'), ('permission_denied', 'Permission denied'), ('session_expired', 'Session expired'), ('token_revoked', 'API token revoked')], max_length=20, verbose_name='action'),
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('digest', models.CharField(editable=False, max_length=64, unique=True, verbose_name='digest')),
                ('prefix', models.CharField(editable=False, max_length=8, verbose_name='starts with')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                ('expires_at', models.DateTimeField(verbose_name='expires at')),
                ('created_ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='created from')),
                ('user_agent', models.CharField(blank=True, max_length=200, verbose_name='client')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='last used at')),
                ('last_used_ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='last used from')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                ('revoked_reason', models.CharField(blank=True, choices=[('logout', 'Logged out'), ('logout_all', 'Logged out everywhere'), ('replaced', 'Replaced by newer logins'), ('admin', 'Revoked by an administrator')], max_length=20, verbose_name='revoked because')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'API token',
                'verbose_name_plural': 'API tokens',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['user', '-created_at'], name='core_apitoken_user_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('revoked_at__isnull', True), ('revoked_reason', '')), models.Q(('revoked_at__isnull', False), models.Q(('revoked_reason', ''), _negated=True)), _connector='OR'), name='core_apitoken_revoked_with_reason')],
            },
        ),
        migrations.RunPython(drop_drf_plaintext_tokens, migrations.RunPython.noop),
    ]
