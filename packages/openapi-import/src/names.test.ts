import { describe, expect, it } from 'vitest';
import { INTEGRATION_KEY_PATTERN } from '@switchboard/contracts';
import { credentialId, integrationKey, parameterName, shortenWords, uniqueName } from './names.js';

describe('integration keys', () => {
  it('are the operationId in snake_case', () => {
    expect(integrationKey('listPatientAppointments', 'get', '/x')).toBe('list_patient_appointments');
    expect(integrationKey('get-patient.by_ID', 'get', '/x')).toBe('get_patient_by_id');
    expect(integrationKey('HTTPGetV2Slots', 'get', '/x')).toBe('http_get_v2_slots');
    expect(integrationKey('getOAuthToken', 'post', '/x')).toBe('get_oauth_token');
  });

  it('come from the method and path when there is no operationId', () => {
    expect(integrationKey(undefined, 'get', '/patients/{patient-id}/visits')).toBe('get_patients_by_patient_id_visits');
    expect(integrationKey('', 'delete', '/slots/{id}')).toBe('delete_slots_by_id');
  });

  it('always match the key pattern, even from odd ids', () => {
    for (const id of ['2fa.verify', '___', 'Ünïcödé', 'a'.repeat(200), '9']) {
      const key = integrationKey(id, 'post', '/v');
      expect(key).toMatch(INTEGRATION_KEY_PATTERN);
    }
    expect(integrationKey('2fa.verify', 'post', '/v')).toBe('op_2fa_verify');
  });

  it('are shortened to 64 characters keeping their meaning, not cut mid-word', () => {
    const id = 'retrieveTheListOfAllAvailableAppointmentSlotsForTheOrganizationAndTheConfigurationOfItsNotifications';
    const key = integrationKey(id, 'get', '/x');
    expect(key.length).toBeLessThanOrEqual(64);
    expect(key).toBe('retrieve_list_avail_appt_slots_org_config_notifs');
    expect(shortenWords(['list', 'patient', 'insurance', 'eligibility', 'coverage', 'benefit', 'details', 'history'], 30)).toEqual(['list', 'patient', 'details', 'history']);
  });

  it('are made unique with a numeric suffix within the length limit', () => {
    const taken = new Set<string>();
    expect(uniqueName('book', taken)).toBe('book');
    expect(uniqueName('book', taken)).toBe('book_2');
    expect(uniqueName('book', taken)).toBe('book_3');
    const long = 'a'.repeat(64);
    uniqueName(long, taken);
    const second = uniqueName(long, taken);
    expect(second).toHaveLength(64);
    expect(second.endsWith('_2')).toBe(true);
  });
});

describe('parameter names and credential ids', () => {
  it('keeps identifier names and snake-cases the rest', () => {
    expect(parameterName('patientId')).toBe('patientId');
    expect(parameterName('X-Correlation-Id')).toBe('x_correlation_id');
    expect(parameterName('filter[status]')).toBe('filter_status');
    expect(parameterName('1st')).toBe('_1st');
    expect(parameterName('---')).toBe('value');
  });

  it('derives kebab-case credential ids from scheme names', () => {
    expect(credentialId('PmsApiKey')).toBe('pms-api-key');
    expect(credentialId('payerOAuth')).toBe('payer-oauth');
    expect(credentialId('basic_auth')).toBe('basic-auth');
    expect(credentialId('***')).toBe('credential');
  });
});
