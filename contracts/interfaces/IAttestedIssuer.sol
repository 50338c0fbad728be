// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICustodyLegs} from "./ICustodyLegs.sol";
import {IProtocolCommon} from "./IProtocolCommon.sol";
/**
 * @title IAttestedIssuer
 * @notice Mints and redeems index tokens whose basket holds custodian assets (see ICustodyRegistry): the
 * custodian legs happen on the assets' native chains and are proven by EIP-712 attestations signed by a
 * registered custodian key (domain "SSI Custody" version 1, type `CustodyLeg`, mirrored in
 * lambdas/domain/custody/attestation.ts). A basket may also hold registered on-chain assets: their legs
 * settle atomically through CustodyVault when the request completes.
 * Mint: the WLP escrows cash for an index amount and names the PMM; the PMM delivers each custodian asset
 * to a registered custodian wallet on its chain; anyone submits the custodian's `Received` attestations,
 * one per custodian asset, each at least the basket amount; the submission that completes the set pulls
 * the on-chain legs from the PMM into CustodyVault, mints the index tokens to the WLP and pays the cash to
 * the PMM. Redeem mirrors it: the WLP escrows index tokens; the PMM accepts by escrowing the cash and naming
 * its native address per custodian asset, which burns the tokens and fixes each leg's amount (the `floor`
 * basket amount at acceptance, taken out of attested custody); the custodian releases each custodian asset
 * there and its `Released` attestations (exactly the fixed amount each) complete the redeem: on-chain legs
 * released from CustodyVault to the PMM, cash to the WLP. Each native transaction id is usable once, across mints,
 * redeems and attested rebalances (`useTxId`). If a request is not complete by its deadline, anyone can refund
 * the requester; a redeem that already has released legs is settled instead (see `refundRedeem`).
 */
interface IAttestedIssuer is IProtocolCommon, ICustodyLegs {
    /// @notice Which way units moved on the native chain (the values are the off-chain enum's).
    enum LegDirection {
        /// @dev Units arrived in a registered custodian wallet (a PMM's delivery on a mint).
        Received,
        /// @dev Units left a custodian wallet for the counterparty (the PMM on a redeem).
        Released
    }

    /// @notice Where a request stands.
    enum RequestStatus {
        None,
        Pending,
        Completed,
        Refunded,
        /// @dev A redeem past its deadline with some legs released (or that a rebalance since made unrefundable): settled,
        /// the rest owed to the PMM.
        Settled
    }

    /**
     * @notice One off-chain leg as the custodian signs it. Native strings are keccak256 of their UTF-8 bytes.
     * @param requestId The request this leg settles.
     * @param direction Received (mint) or Released (redeem).
     * @param chain keccak256 of the native chain name.
     * @param asset keccak256 of the asset id on that chain.
     * @param amount Units in the asset's native decimals.
     * @param txId keccak256 of the native transaction id; usable once per chain.
     * @param wallet keccak256 of the custodian wallet address (must be registered for `chain`).
     * @param counterparty keccak256 of the address the units came from (Received) or went to (Released).
     */
    struct CustodyLeg {
        bytes32 requestId;
        uint8 direction;
        bytes32 chain;
        bytes32 asset;
        uint256 amount;
        bytes32 txId;
        bytes32 wallet;
        bytes32 counterparty;
    }

    /**
     * @notice A mint request.
     * @param requester The WLP: receives the index tokens, or the refund.
     * @param pmm Receives the escrowed cash when the legs are attested.
     * @param index The index token to mint.
     * @param cashToken The escrowed cash token.
     * @param cashAmount Escrowed cash.
     * @param indexAmount Index units to mint.
     * @param deadline Last second at which attestations are accepted; a refund is open after it.
     * @param legsAttested How many basket assets have an accepted leg.
     * @param status Where the request stands.
     */
    struct MintRequest {
        address requester;
        address pmm;
        address index;
        address cashToken;
        uint256 cashAmount;
        uint256 indexAmount;
        uint64 deadline;
        uint8 legsAttested;
        RequestStatus status;
    }

    /**
     * @notice A redeem request.
     * @param requester The WLP: receives the cash, or its index tokens back on a refund.
     * @param pmm Escrows the cash on acceptance and receives the released basket.
     * @param index The index token to redeem.
     * @param cashToken The cash token the PMM pays.
     * @param cashAmount Cash the WLP is paid on completion.
     * @param indexAmount Index units escrowed and burned on completion.
     * @param deadline Last second at which acceptance and attestations are accepted.
     * @param legsAttested How many custodian assets have an accepted `Released` leg.
     * @param legsDue How many custodian assets are to be released (fixed on acceptance).
     * @param accepted Whether the PMM escrowed the cash and named its native addresses.
     * @param status Where the request stands.
     */
    struct RedeemRequest {
        address requester;
        address pmm;
        address index;
        address cashToken;
        uint256 cashAmount;
        uint256 indexAmount;
        uint64 deadline;
        uint8 legsAttested;
        uint8 legsDue;
        bool accepted;
        RequestStatus status;
    }

    /// @notice `index` may (`allowed`) or may no longer be minted here.
    event IndexSet(address indexed index, bool allowed);
    /// @notice New requests get `timeout` seconds to be completed.
    event RequestTimeoutSet(uint256 timeout);
    /// @notice A mint request was opened and its cash escrowed.
    event MintRequested(
        bytes32 indexed requestId,
        address indexed requester,
        address indexed pmm,
        address index,
        uint256 indexAmount,
        address cashToken,
        uint256 cashAmount,
        uint64 deadline
    );
    /// @notice All legs of `requestId` were attested: index tokens minted, cash paid to the PMM.
    event MintCompleted(bytes32 indexed requestId);
    /// @notice `requestId` timed out and its cash went back to the requester.
    event MintRefunded(bytes32 indexed requestId);
    /// @notice On-chain basket legs settle through `vault`.
    event CustodyVaultSet(address indexed vault);
    /// @notice A redeem request was opened and its index tokens escrowed.
    event RedeemRequested(
        bytes32 indexed requestId,
        address indexed requester,
        address indexed pmm,
        address index,
        uint256 indexAmount,
        address cashToken,
        uint256 cashAmount,
        uint64 deadline
    );
    /**
     * @notice The PMM escrowed the cash of `requestId` and the index tokens were burned; `amounts[i]` of
     * `assets[i]` are due to the PMM: a custodian asset released to `destinations[i]` (its native address),
     * an on-chain asset (zero destination) from CustodyVault on completion.
     */
    event RedeemAccepted(
        bytes32 indexed requestId, address indexed pmm, address[] assets, uint256[] amounts, bytes32[] destinations
    );
    /// @notice All custodian legs of `requestId` were released: on-chain legs and the cash were paid.
    event RedeemCompleted(bytes32 indexed requestId);
    /// @notice `requestId` timed out before any release: index tokens back to the WLP (re-minted if the
    /// redeem was accepted), cash back to the PMM.
    event RedeemRefunded(bytes32 indexed requestId);
    /**
     * @notice `requestId` timed out after some releases: settled as complete (cash to the WLP, on-chain legs to
     * the PMM); the custodian owes the PMM every custodian leg of `RedeemAccepted` without a `LegAttested` yet.
     */
    event RedeemSettled(bytes32 indexed requestId);

    /**
     * @notice An attested rebalance (REBALANCER_ROLE, the AttestedRebalancer) completed: the attested custody of
     * `asset` held for `index` is now `amount`.
     */
    event CustodyRebalanced(address indexed index, address indexed asset, uint256 amount);

    /// @notice The timeout is zero or above `max`.
    error TimeoutOutOfRange(uint256 timeout, uint256 max);
    /// @notice `asset` in the basket of `index` is not registered in the CustodyRegistry.
    error UnregisteredAsset(address index, address asset);
    /// @notice The basket of `index` holds on-chain assets but no CustodyVault is set.
    error NoCustodyVault(address index);
    /// @notice The basket of `index` holds no custodian asset: it settles through the quote-order Issuer.
    error NoCustodianAsset(address index);
    /// @notice The native transaction `txId` on `chain` was already used by an accepted leg.
    error TxIdAlreadyUsed(bytes32 chain, bytes32 txId);
    /// @notice `asset` (the placeholder of the leg's chain and asset) is not a custodian asset of the request's basket.
    error AssetNotInBasket(address asset);
    /// @notice Only the request's PMM (`pmm`) may accept it.
    error NotRequestPmm(bytes32 requestId, address pmm);
    /// @notice The redeem was already accepted.
    error RedeemAlreadyAccepted(bytes32 requestId);
    /// @notice The redeem was not accepted yet: no release may be attested before the PMM's cash is escrowed.
    error RedeemNotAccepted(bytes32 requestId);
    /// @notice Nothing of `asset` is owed to the PMM of the settled redeem `requestId`.
    error NothingOwed(bytes32 requestId, address asset);

    /**
     * @notice Sets up roles and settings: `admin` gets admin, pauser and upgrader.
     * @param admin Default admin.
     * @param registry The CustodyRegistry holding assets, wallets and custodian signers.
     * @param requestTimeout Seconds a request has to be completed (at most MAX_REQUEST_TIMEOUT).
     */
    function initialize(address admin, address registry, uint256 requestTimeout) external;

    /// @notice Allows (`allowed`) or stops minting `index` here; OPERATOR_ROLE. This contract needs the index's ISSUER_ROLE.
    function setIndex(address index, bool allowed) external;

    /// @notice Allows (`allowed`) or stops escrowing `token` as cash; OPERATOR_ROLE.
    function setCashToken(address token, bool allowed) external;

    /// @notice Sets the time new requests get to be completed (1 second to MAX_REQUEST_TIMEOUT); OPERATOR_ROLE.
    function setRequestTimeout(uint256 timeout) external;

    /// @notice Sets the CustodyVault that holds on-chain basket legs; DEFAULT_ADMIN_ROLE. This contract needs its
    /// RELEASER_ROLE for redeems.
    function setCustodyVault(address vault) external;

    /**
     * @notice Opens a mint request: escrows `cashAmount` of `cashToken` from the caller (the WLP), who gets
     * `indexAmount` of `index` once the PMM's deliveries are attested. Every basket asset must be registered
     * in the CustodyRegistry, at least one in custodian mode; on-chain assets need a CustodyVault and the
     * PMM's allowance to this contract at completion. Not while paused.
     * @param index The index to mint.
     * @param indexAmount Index units to mint.
     * @param cashToken Cash token to escrow (allowed list).
     * @param cashAmount Cash the PMM is paid on completion.
     * @param pmm The PMM that delivers the basket.
     * @return requestId The id the custodian attestations must name.
     */
    function requestMint(address index, uint256 indexAmount, address cashToken, uint256 cashAmount, address pmm)
        external
        returns (bytes32 requestId);

    /**
     * @notice Submits custodian attestations of `Received` legs for a pending mint; anyone may call. Each
     * leg must be signed by a registered custodian signer, name a registered wallet on its chain, use a
     * transaction id not used before, and deliver at least the basket amount (`ceil(indexAmount * base *
     * factor / 1e45)`) of a custodian basket asset that has no leg yet. The submission that gives every
     * custodian asset a leg completes the mint, each leg still covering the basket amount of that moment (one
     * attested before a rebalance completed may not: `ShortDelivery`, and the mint is refunded after its
     * deadline): the on-chain legs (`ceil` basket amounts) move from the PMM to
     * CustodyVault, index tokens go to the requester and the escrowed cash to the PMM. A basket with on-chain
     * assets completes only in a submission by the PMM (it may submit no legs), since its allowance pays them.
     * Not while paused, not after the deadline.
     * @param requestId The pending mint.
     * @param legs The attested legs.
     * @param signatures The custodian's EIP-712 signature of each leg.
     * @return completed Whether this submission completed the mint.
     */
    function attestMint(bytes32 requestId, CustodyLeg[] calldata legs, bytes[] calldata signatures)
        external
        returns (bool completed);

    /// @notice Returns the escrowed cash of a pending mint to its requester after its deadline; anyone may call,
    /// also while paused.
    function refundMint(bytes32 requestId) external;

    /**
     * @notice Opens a redeem request: escrows `indexAmount` of `index` from the caller (the WLP), who gets
     * `cashAmount` of `cashToken` from the PMM once the custodian's releases are attested. Same basket rules
     * as `requestMint`. Not while paused. Allowed while the index is rebalancing (the tokens only move into
     * escrow); only the acceptance waits for the rebalance to end.
     * @param index The index to redeem.
     * @param indexAmount Index units to escrow and burn.
     * @param cashToken Cash token the PMM pays (allowed list).
     * @param cashAmount Cash the WLP is paid on completion.
     * @param pmm The PMM that pays the cash and receives the basket.
     * @return requestId The id the acceptance and the custodian attestations must name.
     */
    function requestRedeem(address index, uint256 indexAmount, address cashToken, uint256 cashAmount, address pmm)
        external
        returns (bytes32 requestId);

    /**
     * @notice The request's PMM accepts a pending redeem before its deadline: escrows the cash from the caller,
     * names per basket asset in `baseTokenset()` order the keccak256 of its native address that the custodian
     * releases to (ignored for on-chain assets, which go to the PMM's address here), and burns the escrowed
     * index tokens. Each leg's amount is fixed now at the `floor` basket amount, and custodian amounts leave
     * attested custody now, so the management fee that accrues while the legs settle neither changes what the
     * custodian releases nor leaves custody short. The custodian releases nothing before this. Not while paused,
     * and not while the index is rebalancing (`IndexRebalancing`: its token's `feeState().rebalancing`, set by the
     * Rebalancer's window and by a pending AttestedRebalancer rebalance), because the burn would shrink the basket
     * the rebalance's sells were fixed against; a redeem requested meanwhile can be accepted once the rebalance
     * ends, before its own deadline.
     * @param requestId The pending redeem.
     * @param destinations keccak256 of the PMM's native address per basket asset.
     */
    function acceptRedeem(bytes32 requestId, bytes32[] calldata destinations) external;

    /**
     * @notice Submits custodian attestations of `Released` legs; anyone may call. For an accepted pending
     * redeem before its deadline, each leg must be signed by a registered custodian signer, name a registered
     * wallet on its chain, use a transaction id not used before, go to the PMM's destination for the asset and
     * release exactly the amount fixed on acceptance (`redeemDue`) of a custodian asset that has no leg yet.
     * The submission that gives every due custodian asset a leg completes the redeem: on-chain legs released
     * from CustodyVault to the PMM, escrowed cash to the requester. For a settled redeem (no deadline), each
     * leg releases an owed asset, with the same checks. Not while paused.
     * @param requestId The accepted redeem.
     * @param legs The attested legs.
     * @param signatures The custodian's EIP-712 signature of each leg.
     * @return completed Whether this submission completed the redeem (always false for a settled one).
     */
    function attestRedeem(bytes32 requestId, CustodyLeg[] calldata legs, bytes[] calldata signatures)
        external
        returns (bool completed);

    /**
     * @notice Ends a pending redeem after its deadline; anyone may call. Not accepted: the index tokens go back
     * to the requester (also while paused). Accepted with no leg released: the tokens are re-minted to the
     * requester, the due custodian amounts return to attested custody and the cash goes back to the PMM, provided
     * the amounts fixed on acceptance still cover the index amount in the basket of now. Some legs released, or
     * a rebalance completed since the acceptance that the fixed amounts no longer cover: re-minting would leave
     * the tokens uncovered, so the redeem is settled as complete (on-chain legs to the PMM,
     * cash to the requester) and the unreleased custodian legs stay owed to the PMM, to be released and
     * attested later.
     */
    function refundRedeem(bytes32 requestId) external;

    /// @notice The redeem request `requestId` (status None if unknown).
    function getRedeemRequest(bytes32 requestId) external view returns (RedeemRequest memory);

    /// @notice keccak256 of the PMM's native address that `asset` of redeem `requestId` is released to.
    function redeemDestination(bytes32 requestId, address asset) external view returns (bytes32);

    /// @notice The amount of `asset` due to the PMM of redeem `requestId`, fixed on acceptance (zero if none).
    function redeemDue(bytes32 requestId, address asset) external view returns (uint256);

    /// @notice The CustodyVault holding on-chain basket legs (zero if none set).
    function custodyVault() external view returns (address);

    /// @notice The mint request `requestId` (status None if unknown).
    function getMintRequest(bytes32 requestId) external view returns (MintRequest memory);

    /// @notice The amount of `asset` attested for `requestId` (zero if no leg yet).
    function attestedLeg(bytes32 requestId, address asset) external view returns (uint256);

    /// @notice Custodian units of `asset` held for `index`: attested in by completed mints, less what accepted
    /// redeems fixed as due to their PMMs (given back if such a redeem is refunded), plus the buys and less the
    /// sells of completed attested rebalances (`rebalanceCustody`).
    function attestedCustody(address index, address asset) external view returns (uint256);

    /**
     * @notice Marks native transaction `txId` on `chain` used for a leg of an attested rebalance; REBALANCER_ROLE
     * (keccak256("REBALANCER_ROLE"), the AttestedRebalancer).
     * @dev Mints, redeems and rebalances share this one registry, so a transaction id counts once across all
     * of them. Reverts `TxIdAlreadyUsed` if it was used.
     */
    function useTxId(bytes32 chain, bytes32 txId) external;

    /**
     * @notice Books a completed attested rebalance into attested custody: the custody of custodian asset `asset`
     * held for `index` gains `received` (the PMM's attested delivery) and loses `released` (the custodian's
     * attested release to the PMM); REBALANCER_ROLE (keccak256("REBALANCER_ROLE")).
     * @dev The smallest hook that keeps one custody book for mints, redeems and rebalances: this contract has no
     * bytecode room for rebalances and the book must stay where `attestedCustody`, redeems and reserve checks read
     * it. The caller books a rebalance only once every leg is attested, and reverts (underflow) rather than book
     * more released than held.
     */
    function rebalanceCustody(address index, address asset, uint256 received, uint256 released) external;

    /// @notice Whether native transaction `txId` on `chain` was used by an accepted leg (of a mint, redeem or rebalance).
    function isTxIdUsed(bytes32 chain, bytes32 txId) external view returns (bool);

    /// @notice Whether `index` may be minted here.
    function isIndexAllowed(address index) external view returns (bool);

    /// @notice Whether `token` may be escrowed as cash.
    function isCashToken(address token) external view returns (bool);

    /// @notice Seconds new requests get to be completed.
    function requestTimeout() external view returns (uint256);

    /// @notice The longest `requestTimeout` can be: no request made longer ago than this is still inside its deadline.
    // solhint-disable-next-line func-name-mixedcase
    function MAX_REQUEST_TIMEOUT() external view returns (uint256);

    /// @notice The CustodyRegistry this contract reads.
    function registry() external view returns (address);

    /// @notice The EIP-712 digest a custodian signs for `leg` under this contract's "SSI Custody" domain.
    function hashLeg(CustodyLeg calldata leg) external view returns (bytes32);
}
